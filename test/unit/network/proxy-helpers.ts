import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { onTestFinished } from 'vitest'

/**
 * Test servers and clients of the policy proxy. Every server here listens on 127.0.0.1, and nothing here
 * dials anything but 127.0.0.1 or a unix socket: the proxy's refusals are asserted, never probed.
 */

/** `start`, with what it starts closed when the current test finishes (last started, first closed). */
export function closedAfterTest<A extends unknown[], T extends { close: () => Promise<void> }>(
  start: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  return async (...args) => {
    const started = await start(...args)
    onTestFinished(() => started.close())
    return started
  }
}

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'codex-net-'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  )
}

/** Closes a server, first destroying `sockets` (connections it would wait for). */
export function closeServer(server: net.Server, sockets: Iterable<net.Socket> = []): Promise<void> {
  for (const s of sockets) s.destroy()
  ;(server as http.Server).closeAllConnections?.()
  return new Promise((resolve) => server.close(() => resolve()))
}

export interface EchoTarget {
  port: number
  /** Connections it accepted. */
  connections: number
  close: () => Promise<void>
}

/** Echoes what it gets; on the client's half-close it answers `bye` and closes its side. */
export async function startEcho(opts: { silent?: boolean } = {}): Promise<EchoTarget> {
  const sockets = new Set<net.Socket>()
  const target: EchoTarget = { port: 0, connections: 0, close: async () => undefined }
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    target.connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => s.destroy())
    if (opts.silent) return void s.resume()
    s.on('data', (d: Buffer) => s.write(d))
    s.on('end', () => s.end('bye'))
  })
  target.port = await listen(server)
  target.close = () => closeServer(server, sockets)
  return target
}

/** N bytes of a fixed pattern (i mod 251), to check what went through. */
export function patterned(n: number): Buffer {
  const b = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i++) b[i] = i % 251
  return b
}

export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
  socketPort: number
}

export interface HttpTarget {
  port: number
  requests: SeenRequest[]
  connections: number
  /** Connections that have closed. */
  closed: number
  close: () => Promise<void>
}

/** An origin server: `/big?bytes=N` streams N bytes, anything else answers `ok <method> <url>`. */
export async function startHttpTarget(): Promise<HttpTarget> {
  const target: HttpTarget = {
    port: 0,
    requests: [],
    connections: 0,
    closed: 0,
    close: async () => undefined,
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      target.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        socketPort: req.socket.remotePort ?? 0,
      })
      const chunked = /^\/chunked\?bytes=(\d+)$/.exec(req.url ?? '')
      if (chunked) {
        // No Content-Length: node sends it chunked, in writes of uneven sizes, with a trailer.
        const data = patterned(Number(chunked[1]))
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', Trailer: 'X-Sum' })
        let pos = 0
        let step = 1
        const pump = (): void => {
          while (pos < data.length) {
            const n = Math.min(data.length - pos, (step = (step * 7919) % 200_003) + 1)
            const ok = res.write(data.subarray(pos, pos + n))
            pos += n
            if (!ok) return void res.once('drain', pump)
          }
          res.addTrailers({ 'X-Sum': String(data.length) })
          res.end()
        }
        return pump()
      }
      const big = /^\/big\?bytes=(\d+)$/.exec(req.url ?? '')
      if (big) {
        const total = Number(big[1])
        res.writeHead(200, { 'Content-Length': total, 'Content-Type': 'application/octet-stream' })
        const block = Buffer.alloc(256 * 1024, 7)
        let left = total
        const pump = (): void => {
          while (left > 0) {
            const n = Math.min(left, block.length)
            left -= n
            if (!res.write(n === block.length ? block : block.subarray(0, n)))
              return void res.once('drain', pump)
          }
          res.end()
        }
        return pump()
      }
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        Connection: 'keep-alive',
        'Keep-Alive': 'timeout=5',
        'X-Origin': 'yes',
      })
      res.end(`ok ${req.method} ${req.url}`)
    })
  })
  server.on('connection', (s: net.Socket) => {
    target.connections++
    s.once('close', () => target.closed++)
  })
  target.port = await listen(server)
  target.close = () => closeServer(server)
  return target
}

export interface TestUpstream {
  port: number
  connects: Array<{ target: string; auth: string | undefined }>
  close: () => Promise<void>
}

/**
 * A CONNECT-only upstream proxy (the host's own proxy). It dials only 127.0.0.1, or a name listed in
 * `names` (mapped to 127.0.0.1); anything else gets a 502 without a connection.
 */
export async function startUpstream(
  opts: { requireAuth?: string; delayMs?: number; greeting?: string; names?: readonly string[] } = {},
): Promise<TestUpstream> {
  const up: TestUpstream = { port: 0, connects: [], close: async () => undefined }
  const sockets = new Set<net.Socket>()
  const server = http.createServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => client.destroy())
    const auth = req.headers['proxy-authorization']
    up.connects.push({ target: req.url ?? '', auth })
    const go = (): void => {
      if (opts.requireAuth && auth !== opts.requireAuth) {
        return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')
      }
      const m = /^(.+):(\d+)$/.exec(req.url ?? '')
      const host = m?.[1] ?? ''
      if (host !== '127.0.0.1' && !opts.names?.includes(host)) {
        return void client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
      }
      const target = net.connect(Number(m?.[2]), '127.0.0.1', () => {
        client.write(`HTTP/1.1 200 Connection established\r\n\r\n${opts.greeting ?? ''}`)
        target.pipe(client)
        client.pipe(target)
      })
      target.on('error', () => client.destroy())
    }
    if (opts.delayMs) setTimeout(go, opts.delayMs).unref()
    else go()
  })
  up.port = await listen(server)
  up.close = () => closeServer(server, sockets)
  return up
}

export interface RawAnswer {
  status: number
  head: string
  body: string
  socket: net.Socket
}

/** Sends raw bytes over the proxy's unix socket and reads the answer's head (and a body with Content-Length). */
export function rawRequest(socketPath: string, bytes: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath)
    let buf = Buffer.alloc(0)
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end).toString('latin1')
      const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
      if (buf.length < end + 4 + len) return
      socket.off('data', onData)
      socket.pause()
      const rest = buf.subarray(end + 4 + len)
      if (rest.length) socket.unshift(rest)
      resolve({
        status: Number(head.split(' ')[1]),
        head,
        body: buf.subarray(end + 4, end + 4 + len).toString('utf8'),
        socket,
      })
    }
    socket.on('data', onData)
    socket.on('error', reject)
    socket.on('close', () => reject(new Error(`closed before an answer: ${buf.toString('latin1')}`)))
    socket.write(bytes)
  })
}

export function connectVia(socketPath: string, target: string, extra = ''): Promise<RawAnswer> {
  return rawRequest(socketPath, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${extra}`)
}

/** Reads until `n` characters arrived (or the end). */
export function readText(socket: net.Socket, n = Infinity): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    socket.on('data', (d: Buffer) => {
      text += d.toString()
      if (text.length >= n) resolve(text)
    })
    socket.on('end', () => resolve(text))
    socket.on('error', reject)
    socket.resume()
  })
}

/** A node http client whose connections go to the proxy's unix socket (absolute-form requests). */
export function httpVia(
  socketPath: string,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {},
): Promise<{
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  raw: Buffer
  trailers: NodeJS.Dict<string>
}> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      method: opts.method ?? 'GET',
      path: url,
      headers: { Host: new URL(url).host, ...opts.headers },
      ...(opts.agent ? { agent: opts.agent } : { createConnection: () => net.connect(socketPath) }),
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          raw: Buffer.concat(chunks),
          trailers: res.trailers,
        }),
      )
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** A keep-alive agent whose connections go to the proxy's unix socket, counting them. */
export function unixAgent(socketPath: string): http.Agent & { opened: number } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 }) as http.Agent & { opened: number }
  agent.opened = 0
  agent.createConnection = () => {
    agent.opened++
    return net.connect(socketPath)
  }
  return agent
}

/** TCP 127.0.0.1 → the unix socket, as the relay inside the container does (for curl). */
export async function tcpRelay(socketPath: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (c) => {
    const u = net.connect({ path: socketPath, allowHalfOpen: true })
    sockets.add(c).add(u)
    c.pipe(u).pipe(c)
    const done = (): void => {
      c.destroy()
      u.destroy()
    }
    c.on('error', done).on('close', () => sockets.delete(c))
    u.on('error', done).on('close', () => sockets.delete(u))
  })
  const port = await listen(server)
  return { port, close: () => closeServer(server, sockets) }
}

export const run = promisify(execFile)

export function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (check()) return resolve()
      if (Date.now() - started > timeoutMs) return reject(new Error('timed out waiting'))
      setTimeout(tick, 10)
    }
    tick()
  })
}

export interface RawOrigin {
  port: number
  /** Connections accepted, and request heads seen (per connection index). */
  connections: number
  heads: Array<{ conn: number; head: string }>
  closed: number
  close: () => Promise<void>
}

/**
 * A TCP origin answering each request head with what `answer` returns (raw bytes; `null` closes the
 * connection without an answer). `answer` gets the head, the connection's index and the request's index
 * on that connection.
 */
export async function startRawOrigin(
  answer: (head: string, conn: number, nth: number) => string | Buffer | null,
  opts: { banner?: string } = {},
): Promise<RawOrigin> {
  const origin: RawOrigin = { port: 0, connections: 0, heads: [], closed: 0, close: async () => undefined }
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    const conn = origin.connections++
    let nth = 0
    let buf = ''
    sockets.add(s)
    s.on('close', () => {
      origin.closed++
      sockets.delete(s)
    })
    s.on('error', () => s.destroy())
    if (opts.banner) s.write(opts.banner)
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1')
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end)
        buf = buf.slice(end + 4)
        origin.heads.push({ conn, head })
        const out = answer(head, conn, nth++)
        if (out === null) return void s.destroy()
        s.write(out)
      }
    })
  })
  origin.port = await listen(server)
  origin.close = () => closeServer(server, sockets)
  return origin
}
