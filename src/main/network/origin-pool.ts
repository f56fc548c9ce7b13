import type http from 'node:http'
import type net from 'node:net'
import { BufferedCopy } from './buffered-copy'
import { ChunkedDecoder, filterHeaders, readResponseHead, requestHead, type Framing } from './origin-framing'

/**
 * Plain HTTP to origins, for the policy proxy. The request head goes out as parsed by node's server
 * (hop-by-hop and Proxy-* headers dropped, Host set from the absolute URI); the response head is parsed
 * here and its body framed by Content-Length, chunked coding (de-chunked, re-chunked by node's response)
 * or the connection's end (origin-framing.ts). Connections to an origin address are kept alive and reused.
 */

const IDLE_ORIGIN_MS = 30_000
const MAX_IDLE_PER_ORIGIN = 8

/** One exchange on an origin connection. */
export interface Exchange {
  req: http.IncomingMessage
  res: http.ServerResponse
  /** The origin-form target: `/path?query`. */
  path: string
  /** The Host header: the absolute URI's authority. */
  authority: string
  /** Called when the response head arrives (the exchange stops being "pending"). */
  onHead: () => void
}

/** Why an exchange failed before its response head was sent; the caller answers 502/504. */
export class OriginError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

interface Job extends Exchange {
  settle: (err?: OriginError) => void
  sawBytes: boolean
}

/** A client connection to one origin address, reused for exchange after exchange. */
class OriginConnection extends BufferedCopy {
  reused = false
  private job: Job | undefined
  /** The response head so far; undefined once it is complete and the body is being read. */
  private head: Buffer | undefined
  private framing: Framing = 'none'
  private keepAlive = true
  /** Bytes left of a Content-Length body. */
  private left = 0
  private chunks = new ChunkedDecoder()

  constructor(private readonly onDone: (conn: OriginConnection, reusable: boolean) => void) {
    super()
  }

  get socket(): net.Socket | undefined {
    return this.source
  }

  adopt(socket: net.Socket, readsViaOnread: boolean, idleTimeoutMs: number): void {
    this.source = socket
    if (!readsViaOnread) this.readDataEvents(socket)
    socket.setTimeout(idleTimeoutMs, () => this.fail('ETIMEDOUT', 'the server did not answer in time'))
    socket.on('end', () => this.ended())
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(err.code ?? 'ERROR', err.message))
    socket.on('close', () => this.fail('ECONNRESET', 'the server closed the connection'))
  }

  /** Sends the request head (and body) and streams the response into `res`; settles when it is done. */
  exchange(x: Exchange): Promise<void> {
    return new Promise((resolve, reject) => {
      const job: Job = { ...x, sawBytes: false, settle: (err) => (err ? reject(err) : resolve()) }
      this.job = job
      x.res.once('close', () => {
        if (this.job === job) this.fail('ECONNRESET', 'the client went away')
      })
      this.head = Buffer.alloc(0)
      this.keepAlive = true
      const chunked = x.req.headers['transfer-encoding'] !== undefined
      this.socket?.write(requestHead(x.req, x.path, x.authority, chunked))
      this.sendBody(x.req, chunked)
    })
  }

  /** The request body as it comes, re-chunked when the client chunked it. */
  private sendBody(req: http.IncomingMessage, chunked: boolean): void {
    const socket = this.socket
    if (!socket) return
    req.on('data', (c: Buffer) => {
      if (c.length === 0) return
      const ok = chunked
        ? (socket.write(`${c.length.toString(16)}\r\n`), socket.write(c), socket.write('\r\n'))
        : socket.write(c)
      if (!ok) {
        req.pause()
        socket.once('drain', () => req.resume())
      }
    })
    req.once('end', () => {
      if (chunked) socket.write('0\r\n\r\n')
    })
  }

  protected bytes(data: Buffer, owner?: Buffer): boolean {
    const job = this.job
    if (!job) {
      this.recycle(owner)
      this.socket?.destroy() // unsolicited bytes on an idle connection
      return false
    }
    job.sawBytes = true
    if (this.head === undefined) return this.body(job, data, owner)
    const buffered = this.head.length ? Buffer.concat([this.head, data]) : Buffer.from(data)
    this.recycle(owner)
    return this.headBytes(job, buffered)
  }

  /** The response head so far: once it is complete, answers the client with it and reads on into the body. */
  private headBytes(job: Job, buffered: Buffer): boolean {
    const read = readResponseHead(buffered, job.req.method)
    if (read.kind === 'partial') {
      this.head = read.buffered
      return true
    }
    if (read.kind === 'error') {
      this.fail('EPROTO', read.message)
      return true
    }
    const { head, rest } = read
    this.head = undefined
    this.keepAlive = head.keepAlive
    this.framing = head.framing
    this.left = head.length
    this.chunks = new ChunkedDecoder()
    try {
      // Content-Length passes on; without one node chunks the body for the client (or closes for HTTP/1.0).
      job.res.writeHead(head.status, head.reason, filterHeaders(head.headers))
    } catch {
      this.fail('EPROTO', 'the server sent invalid headers')
      return true
    }
    job.onHead()
    if (this.framing === 'none' || (this.framing === 'length' && this.left === 0)) {
      if (rest.length) this.keepAlive = false
      this.finish()
    }
    return this.job === undefined ? true : this.body(job, rest)
  }

  private body(job: Job, data: Buffer, owner?: Buffer): boolean {
    const res = job.res
    if (this.framing === 'close') {
      this.send(res, data, owner)
      return this.room()
    }
    if (this.framing === 'length') {
      const take = Math.min(this.left, data.length)
      this.left -= take
      if (take < data.length) this.keepAlive = false
      if (take > 0) this.send(res, data.subarray(0, take), owner)
      else this.recycle(owner)
      if (this.left === 0) this.finish()
      return this.room()
    }
    const decoded = this.chunks.decode(data)
    if ('error' in decoded) {
      this.fail('EPROTO', decoded.error)
      return false
    }
    const { slices, end } = decoded
    slices.forEach((s, i) => this.send(res, s, i === slices.length - 1 ? owner : undefined))
    if (slices.length === 0) this.recycle(owner)
    if (end !== undefined) {
      if (end < data.length) this.keepAlive = false
      this.finish()
    }
    return this.room()
  }

  private finish(): void {
    const job = this.job
    if (!job) return
    this.job = undefined
    job.res.end()
    job.settle()
    this.onDone(this, this.keepAlive && this.framing !== 'close')
  }

  private ended(): void {
    if (this.job && this.head === undefined && this.framing === 'close') this.finish()
    else this.fail('ECONNRESET', 'the server closed the connection')
  }

  private fail(code: string, message: string): void {
    const job = this.job
    this.job = undefined
    this.socket?.destroy()
    this.onDone(this, false)
    if (!job) return
    if (job.res.headersSent) {
      job.res.destroy()
      job.settle()
    } else {
      job.settle(new OriginError(job.sawBytes || !this.reused ? code : 'ERETRY', message))
    }
  }
}

/**
 * Opens a connection for the pool: dials with `onread` (readsViaOnread true) or hands over a socket that
 * emits 'data' (an upstream tunnel); `key` names what it is connected to (`address:port`, per upstream).
 */
export type Opener = (
  onread: net.OnReadOpts,
) => Promise<{ socket: net.Socket; readsViaOnread: boolean; key: string }>

/** Keep-alive connections to origin addresses, by the key their opener gave. */
export class OriginPool {
  private readonly idle = new Map<string, OriginConnection[]>()
  private readonly all = new Set<OriginConnection>()

  constructor(private readonly idleTimeoutMs: number) {}

  /**
   * Runs one exchange on an idle connection to `key`, or on a new one from `open` (which dials with the
   * given `onread`, or says it could not). A reused connection the server had closed is retried once on
   * a new one when nothing of the request can have been acted on (no body).
   */
  async forward(keys: readonly string[], open: Opener, x: Exchange): Promise<void> {
    const bodyless =
      x.req.headers['content-length'] === undefined && x.req.headers['transfer-encoding'] === undefined
    for (let attempt = 0; ; attempt++) {
      const conn = this.take(keys) ?? (await this.connect(open))
      try {
        return await conn.exchange(x)
      } catch (err) {
        if (!(err instanceof OriginError && err.code === 'ERETRY' && bodyless && attempt === 0)) throw err
      }
    }
  }

  destroy(): void {
    for (const c of this.all) c.socket?.destroy()
    this.all.clear()
    this.idle.clear()
  }

  private take(keys: readonly string[]): OriginConnection | undefined {
    for (const key of keys) {
      const list = this.idle.get(key)
      let conn = list?.pop()
      while (conn && (conn.socket?.destroyed ?? true)) conn = list?.pop()
      if (conn) {
        conn.reused = true
        conn.socket?.setTimeout(this.idleTimeoutMs)
        return conn
      }
    }
    return undefined
  }

  private async connect(open: Opener): Promise<OriginConnection> {
    let key = '' // known once opened; the connection needs its read buffers before
    const conn = new OriginConnection((c, reusable) => this.done(key, c, reusable))
    const opened = await open(conn.onread)
    key = opened.key
    conn.adopt(opened.socket, opened.readsViaOnread, this.idleTimeoutMs)
    this.all.add(conn)
    opened.socket.once('close', () => {
      this.all.delete(conn)
      const list = this.idle.get(key)
      const i = list?.indexOf(conn) ?? -1
      if (i >= 0) list?.splice(i, 1)
    })
    return conn
  }

  private done(key: string, conn: OriginConnection, reusable: boolean): void {
    if (!reusable || !conn.socket || conn.socket.destroyed) return void conn.socket?.destroy()
    const list = this.idle.get(key) ?? []
    if (list.length >= MAX_IDLE_PER_ORIGIN) return void conn.socket.destroy()
    list.push(conn)
    this.idle.set(key, list)
    conn.socket.setTimeout(IDLE_ORIGIN_MS)
  }
}
