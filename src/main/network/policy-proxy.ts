import { promises as fs } from 'node:fs'
import http from 'node:http'
import type net from 'node:net'
import { NAME_TTL_MS } from './name-cache'
import { OriginPool } from './origin-pool'
import { BlockEvents, type ProxyBlock } from './policy'
import { endWith } from './policy-proxy-answers'
import { forwardRequest } from './policy-proxy-http'
import { InFlight, type PendingConnection } from './policy-proxy-pending'
import { Router, type Lookup, type RouteOptions } from './policy-proxy-route'
import { openTunnel } from './policy-proxy-tunnel'
import { hostProxySettings, type UpstreamProxy, type UpstreamResolver } from './upstream-proxy'

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
 *
 * This file: the server, its limits and its lifecycle. The rest: policy-proxy-route.ts (decide, resolve,
 * check, dial), policy-proxy-tunnel.ts (CONNECT), policy-proxy-http.ts (plain HTTP, over origin-pool.ts),
 * policy-proxy-pending.ts (what is in flight), policy-proxy-answers.ts (refusals as the client reads them).
 */

export type { Lookup, PendingConnection, ProxyBlock }

export interface PolicyProxyOptions extends RouteOptions {
  /** Where to listen; its directory must exist (the caller makes it). A stale file there is removed. */
  socketPath: string
  onBlocked: (block: ProxyBlock) => void
  /**
   * The host's own proxy: one for every destination, or a resolver. Absent: the host's proxy variables
   * (`hostProxySettings(process.env)`); null: none.
   */
  upstream?: UpstreamProxy | UpstreamResolver | null
  limits?: Partial<ProxyLimits>
}

export interface ProxyLimits {
  maxConnections: number
  maxHeaderSize: number
  idleTimeoutMs: number
  connectTimeoutMs: number
  lookupTimeoutMs: number
  /** How long a name's answer is reused (name-cache.ts); 0: none kept, only a running lookup shared. */
  nameTtlMs: number
  /** Repeats of one refusal (host, port, rule) within this window become one event with a count. */
  blockWindowMs: number
}

const DEFAULT_LIMITS: ProxyLimits = {
  maxConnections: 256,
  maxHeaderSize: 16 * 1024,
  idleTimeoutMs: 10 * 60_000,
  connectTimeoutMs: 15_000,
  lookupTimeoutMs: 15_000,
  nameTtlMs: NAME_TTL_MS,
  blockWindowMs: 60_000,
}

export class PolicyProxy {
  readonly stats = { allowed: 0, blocked: 0 }
  private readonly limits: ProxyLimits
  private readonly server: http.Server
  private readonly inFlight = new InFlight()
  private readonly clients = new Set<net.Socket>()
  /** Connections over the limit: answered 503 and closed; their requests are not served. */
  private readonly rejected = new WeakSet<net.Socket>()
  private readonly origins: OriginPool
  private readonly events: BlockEvents
  private closed = false

  private constructor(private readonly opts: PolicyProxyOptions) {
    const limits: ProxyLimits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.limits = limits
    const up = opts.upstream === undefined ? hostProxySettings().upstreamFor : opts.upstream
    this.events = new BlockEvents(opts.onBlocked, limits.blockWindowMs)
    this.origins = new OriginPool(limits.idleTimeoutMs)
    const paths = {
      router: new Router(opts, {
        events: this.events,
        stats: this.stats,
        upstreamFor: typeof up === 'function' ? up : () => up,
        lookupTimeoutMs: limits.lookupTimeoutMs,
        connectTimeoutMs: limits.connectTimeoutMs,
        nameTtlMs: limits.nameTtlMs,
      }),
      inFlight: this.inFlight,
      origins: this.origins,
      idleTimeoutMs: limits.idleTimeoutMs,
      closed: () => this.closed,
    }
    this.server = http.createServer({
      maxHeaderSize: limits.maxHeaderSize,
      requestTimeout: 0,
      headersTimeout: 60_000,
      keepAliveTimeout: 60_000,
    })
    this.server.on('connection', (s: net.Socket) => this.onConnection(s))
    this.server.on('connect', (req: http.IncomingMessage, s: net.Socket, head: Buffer) => {
      s.on('error', () => s.destroy()) // node's server has let go of the socket: its errors are ours
      if (this.rejected.has(s)) return void s.destroy()
      void openTunnel(paths, req, s, head)
    })
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (this.rejected.has(req.socket)) return void res.destroy()
      void forwardRequest(paths, req, res)
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
        endWith(s, 431, `request headers are larger than ${limits.maxHeaderSize / 1024} KiB`)
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
    return this.inFlight.pending()
  }

  /** Stops listening, ends every open tunnel and request, sends the coalesced events still held back. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    for (const s of this.clients) s.destroy()
    this.inFlight.destroyTargets()
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
}
