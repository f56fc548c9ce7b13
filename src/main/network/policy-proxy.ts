import { promises as dns } from 'node:dns'
import { promises as fs } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { pipeline } from 'node:stream'
import type { NetworkPhase } from '../../shared/network'
import { addressProblem, isIpLiteral } from './addresses'
import { Downstream, OriginError, OriginPool } from './forward'
import {
  BlockEvents,
  decide,
  isHostName,
  normalizeHost,
  type ProxyBlock,
  type ResolvedPolicy,
} from './policy'
import {
  connectThroughUpstream,
  hostProxySettings,
  UpstreamError,
  type UpstreamProxy,
  type UpstreamResolver,
} from './upstream-proxy'

/**
 * The policy proxy of one task container: an HTTP forward proxy on a unix socket bind-mounted into the
 * container (a relay there listens on 127.0.0.1:3128). CONNECT tunnels (never decrypted) and absolute-form
 * plain HTTP requests are decided by destination name (policy.ts), the name is resolved here, and the
 * connection goes to exactly the address that was checked (addresses.ts), never to a name resolved again.
 *
 * Bad addresses: a name is refused when ANY of its addresses is refused, not served from the good ones.
 * A name that mixes public and private answers is either misconfigured or a rebinding attempt, and a
 * refusal names the address, so the user sees why; picking the good ones would hide it and make the
 * outcome depend on the resolver's order.
 *
 * Upstream without local DNS: when the host's proxy applies and the name does not resolve here (hosts
 * whose only way out is that proxy often have no public DNS), the CONNECT goes to the upstream by name and
 * the upstream resolves it. The allowlist still applies; the address check cannot, so an allowed name
 * could reach what the upstream can reach. That proxy is the host's own network policy, and refusing
 * would make every allowlist mode useless on such hosts. When the name does resolve here, the addresses
 * are checked and the upstream is asked for the checked address.
 */

export type { ProxyBlock }

export interface PendingConnection {
  host: string
  port: number
  /** Since when (ms epoch) it has been waiting. */
  since: number
  /** `connecting`: being resolved or connected; `waiting`: open, the client spoke last, no answer yet. */
  state: 'connecting' | 'waiting'
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>

export interface PolicyProxyOptions {
  /** Where to listen; its directory must exist (the caller makes it). A stale file there is removed. */
  socketPath: string
  phase: NetworkPhase
  /** Read on every request, so a live change applies to the next one. */
  policy: () => ResolvedPolicy
  onBlocked: (block: ProxyBlock) => void
  lookup?: Lookup
  /**
   * The host's own proxy: one for every destination, or a resolver. Absent: the host's proxy variables
   * (`hostProxySettings(process.env)`); null: none.
   */
  upstream?: UpstreamProxy | UpstreamResolver | null
  /** Tests and benchmarks only: let one of our own servers' addresses pass the address check. */
  trustAddress?: (ip: string) => boolean
  /** See addresses.ts: documentation ranges pass unless this is false. */
  allowDocumentationAddresses?: boolean
  /** Tests only: how a checked address is dialled (default net.connect with these options). */
  connect?: (opts: net.TcpNetConnectOpts) => net.Socket
  limits?: Partial<ProxyLimits>
}

export interface ProxyLimits {
  maxConnections: number
  maxHeaderSize: number
  idleTimeoutMs: number
  connectTimeoutMs: number
  lookupTimeoutMs: number
  /** Repeats of one refusal (host, port, rule) within this window become one event with a count. */
  blockWindowMs: number
}

const DEFAULT_LIMITS: ProxyLimits = {
  maxConnections: 256,
  maxHeaderSize: 16 * 1024,
  idleTimeoutMs: 10 * 60_000,
  connectTimeoutMs: 15_000,
  lookupTimeoutMs: 15_000,
  blockWindowMs: 60_000,
}

interface Entry {
  host: string
  port: number
  since: number
  /** `idle`: an open tunnel whose upstream spoke last (not pending). */
  state: PendingConnection['state'] | 'idle'
  target?: net.Socket
}

type Prepared =
  | { ok: true; targets: string[]; upstream: UpstreamProxy | null }
  | { ok: false; status: number; text: string }

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text)
  }
}

export class PolicyProxy {
  readonly stats = { allowed: 0, blocked: 0 }
  private readonly limits: ProxyLimits
  private readonly server: http.Server
  private readonly entries = new Set<Entry>()
  private readonly clients = new Set<net.Socket>()
  /** Connections over the limit: answered 503 and closed; their requests are not served. */
  private readonly rejected = new WeakSet<net.Socket>()
  private readonly origins: OriginPool
  private readonly events: BlockEvents
  private readonly upstreamFor: UpstreamResolver
  private closed = false

  private constructor(private readonly opts: PolicyProxyOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    const up = opts.upstream === undefined ? hostProxySettings().upstreamFor : opts.upstream
    this.upstreamFor = typeof up === 'function' ? up : () => up
    this.events = new BlockEvents(opts.onBlocked, this.limits.blockWindowMs)
    this.origins = new OriginPool(this.limits.idleTimeoutMs)
    this.server = http.createServer({
      maxHeaderSize: this.limits.maxHeaderSize,
      requestTimeout: 0,
      headersTimeout: 60_000,
      keepAliveTimeout: 60_000,
    })
    this.server.on('connection', (s: net.Socket) => this.onConnection(s))
    this.server.on('connect', (req: http.IncomingMessage, s: net.Socket, head: Buffer) => {
      void this.onConnect(req, s, head)
    })
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      void this.onRequest(req, res)
    })
    this.server.on('upgrade', (_req: http.IncomingMessage, s: net.Socket) =>
      endWith(
        s,
        400,
        'protocol upgrades over plain HTTP are not supported: use https:// or wss:// (CONNECT)',
      ),
    )
    this.server.on('clientError', (err: NodeJS.ErrnoException, s: net.Socket) => {
      if (err.code === 'HPE_HEADER_OVERFLOW')
        endWith(s, 431, `request headers are larger than ${this.limits.maxHeaderSize / 1024} KiB`)
      else if (err.code === 'ECONNRESET' || !s.writable) s.destroy()
      else endWith(s, 400, 'malformed request')
    })
  }

  static async listen(opts: PolicyProxyOptions): Promise<PolicyProxy> {
    const stale = await fs.lstat(opts.socketPath).catch(() => undefined)
    if (stale?.isDirectory()) throw new Error(`${opts.socketPath} is a directory`)
    if (stale) await fs.unlink(opts.socketPath)
    const proxy = new PolicyProxy(opts)
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject)
      proxy.server.listen(opts.socketPath, () => {
        proxy.server.off('error', reject)
        resolve()
      })
    })
    await fs.chmod(opts.socketPath, 0o666)
    return proxy
  }

  get socketPath(): string {
    return this.opts.socketPath
  }

  /** Connections being resolved/connected, and open ones where the client spoke last and waits for an answer. */
  pending(): PendingConnection[] {
    const out: PendingConnection[] = []
    for (const e of this.entries) {
      if (e.state !== 'idle') out.push({ host: e.host, port: e.port, since: e.since, state: e.state })
    }
    return out
  }

  /** Stops listening, ends every open tunnel and request, sends the coalesced events still held back. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const s of this.clients) s.destroy()
    for (const e of this.entries) e.target?.destroy()
    this.origins.destroy()
    this.events.close()
    await done
    await fs.unlink(this.opts.socketPath).catch(() => undefined)
  }

  private onConnection(socket: net.Socket): void {
    if (this.closed || this.clients.size >= this.limits.maxConnections) {
      this.rejected.add(socket)
      endWith(socket, 503, `too many connections (at most ${this.limits.maxConnections})`)
      return
    }
    this.clients.add(socket)
    socket.once('close', () => this.clients.delete(socket))
  }

  private async onConnect(req: http.IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy())
    if (this.rejected.has(client)) return void client.destroy()
    const target = parseAuthority(req.url ?? '')
    if (!target) return endWith(client, 400, 'CONNECT needs a host:port target')
    const entry = this.track(target.host, target.port)
    try {
      const prepared = await this.prepare(target.host, target.port, 'CONNECT', true)
      if (!prepared.ok) return endWith(client, prepared.status, prepared.text)
      const downstream = prepared.upstream ? undefined : new Downstream(() => (entry.state = 'idle'))
      const { socket: upstream } = await this.open(target.host, target.port, prepared, downstream?.onread)
      entry.target = upstream
      if (client.destroyed || this.closed) return void upstream.destroy()
      client.write('HTTP/1.1 200 Connection established\r\n\r\n')
      this.splice(entry, client, upstream, downstream)
      if (head.length) {
        entry.state = 'waiting'
        upstream.write(head)
      }
    } catch (err) {
      const r = asRefusal(err, target.host, target.port)
      endWith(client, r.status, r.text)
    } finally {
      if (!entry.target || entry.target.destroyed) this.entries.delete(entry)
    }
  }

  /** Copies both ways with backpressure, half-close and an idle timeout; tracks who spoke last for pending(). */
  private splice(entry: Entry, client: net.Socket, upstream: net.Socket, downstream?: Downstream): void {
    entry.state = 'idle'
    entry.since = Date.now()
    const teardown = (): void => {
      client.destroy()
      upstream.destroy()
      this.entries.delete(entry)
    }
    let ended = 0
    const finished = (err?: Error | null): void => {
      if (err || ++ended === 2) teardown()
    }
    pipeline(client, upstream, finished)
    if (downstream) {
      downstream.attach(upstream, client)
      upstream.once('end', () => client.end())
      upstream.once('error', teardown)
      client.once('finish', () => finished())
    } else {
      pipeline(upstream, client, finished)
      upstream.on('data', () => {
        entry.state = 'idle'
      })
    }
    client.on('data', () => {
      if (entry.state !== 'waiting') {
        entry.state = 'waiting'
        entry.since = Date.now()
      }
    })
    client.setTimeout(this.limits.idleTimeoutMs, teardown)
    upstream.setTimeout(this.limits.idleTimeoutMs, teardown)
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.rejected.has(req.socket)) return void res.destroy()
    const raw = req.url ?? ''
    let url: URL | undefined
    try {
      url = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? new URL(raw) : undefined
    } catch {
      url = undefined
    }
    if (!url) {
      return sendText(
        res,
        400,
        'this is an HTTP proxy: send absolute-form requests (GET http://host/path) or CONNECT',
      )
    }
    if (url.protocol !== 'http:') {
      return sendText(res, 400, `${url.protocol}// requests are not proxied: use CONNECT for HTTPS`)
    }
    const host = normalizeHost(url.hostname)
    const port = url.port ? Number(url.port) : 80
    const entry = this.track(host, port)
    res.once('close', () => this.entries.delete(entry))
    try {
      const prepared = await this.prepare(host, port, req.method ?? 'GET', false)
      if (!prepared.ok) return sendText(res, prepared.status, prepared.text)
      if (res.destroyed || this.closed) return void res.destroy()
      entry.state = 'waiting'
      entry.since = Date.now()
      const via = prepared.upstream ? `${prepared.upstream.url} ` : ''
      const keys = prepared.targets.map((t) => `${via}${t}:${port}`)
      await this.origins.forward(
        keys,
        async (onread) => {
          const { socket, address } = await this.open(host, port, prepared, onread)
          return { socket, readsViaOnread: !prepared.upstream, key: `${via}${address}:${port}` }
        },
        {
          req,
          res,
          path: `${url.pathname}${url.search}`,
          authority: url.host,
          onHead: () => this.entries.delete(entry),
        },
      )
    } catch (err) {
      this.entries.delete(entry)
      const r =
        err instanceof OriginError
          ? new Refusal(err.code === 'ETIMEDOUT' ? 504 : 502, `${host}:${port} — ${err.message}`)
          : asRefusal(err, host, port)
      sendText(res, r.status, r.text)
    }
  }

  private track(host: string, port: number): Entry {
    const entry: Entry = { host, port, since: Date.now(), state: 'connecting' }
    this.entries.add(entry)
    return entry
  }

  /** Decides, resolves and checks: the addresses to connect to, or a refusal (a block event when it is one). */
  private async prepare(host: string, port: number, method: string, secure: boolean): Promise<Prepared> {
    const block = (rule: string): Prepared => {
      this.stats.blocked++
      this.events.report({ phase: this.opts.phase, host, port, method, rule })
      return { ok: false, status: 403, text: `blocked ${host}:${port} — ${rule}` }
    }
    if (!isIpLiteral(host) && !isHostName(host)) return { ok: false, status: 400, text: 'not a host name' }
    let policy: ResolvedPolicy
    try {
      policy = this.opts.policy()
    } catch {
      return block('the network policy is unavailable')
    }
    const decision = decide(policy, { host, port, method })
    if (!decision.allowed) return block(decision.rule)
    const upstream = this.upstreamFor(host, port, secure)
    let addresses: string[]
    if (isIpLiteral(host)) {
      if (!net.isIP(host)) return block('an address in a non-standard spelling')
      addresses = [host]
    } else {
      try {
        addresses = (await this.resolve(host)).map((a) => a.address)
        if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENODATA' })
      } catch (err) {
        // No local answer: an upstream may still resolve it (see the top of this file).
        if (upstream) {
          this.stats.allowed++
          return { ok: true, targets: [host], upstream }
        }
        const code = (err as NodeJS.ErrnoException).code ?? 'no answer'
        return {
          ok: false,
          status: code === 'ETIMEDOUT' ? 504 : 502,
          text: `${host} does not resolve (${code})`,
        }
      }
    }
    for (const address of addresses) {
      if (this.opts.trustAddress?.(address)) continue
      const problem = addressProblem(address, {
        allowDocumentation: this.opts.allowDocumentationAddresses !== false,
      })
      if (problem) return block(address === host ? problem : `resolves to ${problem} (${address})`)
    }
    this.stats.allowed++
    if (upstream) addresses.sort((a, b) => net.isIP(a) - net.isIP(b))
    return { ok: true, targets: addresses, upstream }
  }

  private resolve(host: string): ReturnType<Lookup> {
    const lookup = this.opts.lookup ?? ((h: string) => dns.lookup(h, { all: true, verbatim: true }))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEDOUT' })),
        this.limits.lookupTimeoutMs,
      )
      lookup(host)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer))
    })
  }

  /** A connected socket to the first checked address that answers (through the upstream when one applies). */
  private async open(
    host: string,
    port: number,
    p: Prepared & { ok: true },
    onread?: net.OnReadOpts,
  ): Promise<{ socket: net.Socket; address: string }> {
    if (p.upstream) {
      const address = p.targets[0] ?? host
      try {
        const socket = await connectThroughUpstream(p.upstream, address, port, {
          timeoutMs: this.limits.connectTimeoutMs,
        })
        return { socket, address }
      } catch (err) {
        const status = err instanceof UpstreamError && err.code === 'ETIMEDOUT' ? 504 : 502
        throw new Refusal(status, `${host}:${port} — ${(err as Error).message}`)
      }
    }
    let last: unknown
    for (const address of p.targets) {
      try {
        return { socket: await this.dialAndWait(address, port, onread), address }
      } catch (err) {
        last = err
      }
    }
    throw last
  }

  private dial(o: { host: string; port: number; onread?: net.OnReadOpts }): net.Socket {
    if (!net.isIP(o.host)) throw new Error(`refusing to dial a name (${o.host}): only checked addresses`)
    const opts: net.TcpNetConnectOpts = { ...o, allowHalfOpen: true, noDelay: true }
    return this.opts.connect?.(opts) ?? net.connect(opts)
  }

  private dialAndWait(address: string, port: number, onread?: net.OnReadOpts): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = this.dial({ host: address, port, onread })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }))
      }, this.limits.connectTimeoutMs)
      const onError = (err: Error): void => {
        clearTimeout(timer)
        socket.destroy()
        reject(err)
      }
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.off('error', onError)
        resolve(socket)
      })
      socket.once('error', onError)
    })
  }
}

function parseAuthority(target: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/?#[\]@]+)):(\d{1,5})$/.exec(target)
  const port = Number(m?.[3])
  if (!m || !(port >= 1 && port <= 65535)) return undefined
  return { host: normalizeHost(m[1] ?? m[2] ?? ''), port }
}

function asRefusal(err: unknown, host: string, port: number): Refusal {
  if (err instanceof Refusal) return err
  const code =
    (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error | undefined)?.message ?? 'error'
  return new Refusal(code === 'ETIMEDOUT' ? 504 : 502, `could not connect to ${host}:${port} (${code})`)
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  431: 'Request Header Fields Too Large',
}

/** Answers on a raw socket (CONNECT, parse errors) and closes it. */
function endWith(socket: net.Socket, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy()
  const body = Buffer.from(`codex-sys: ${text}\n`)
  const reason = REASONS[status] ?? http.STATUS_CODES[status] ?? 'Error'
  const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
  socket.end(Buffer.concat([Buffer.from(head), body]), () => socket.destroy())
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy()
  const body = Buffer.from(`codex-sys: ${text}\n`)
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length })
  res.end(body)
}
