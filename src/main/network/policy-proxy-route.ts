import { promises as dns } from 'node:dns'
import net from 'node:net'
import type { NetworkPhase } from '../../shared/network'
import { addressProblem, isIpLiteral } from './addresses'
import { asLookupFunction, NameCache } from './name-cache'
import { decide, isHostName, type BlockEvents, type ResolvedPolicy } from './policy'
import { codedError, gatewayStatus, Refusal } from './policy-proxy-answers'
import {
  connectThroughUpstream,
  UpstreamError,
  type UpstreamProxy,
  type UpstreamResolver,
} from './upstream-proxy'

/**
 * The step both of the policy proxy's paths take before any byte moves: decide the destination by name,
 * resolve it, check every address (`prepare`), then connect to exactly a checked address, or through the
 * host's proxy when one applies (`open`). Why a name is refused when any of its addresses is, and why an
 * upstream may resolve what does not resolve here: see policy-proxy.ts.
 */

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>

/** The policy proxy's options that decide where a request may go and how it is dialled. */
export interface RouteOptions {
  phase: NetworkPhase
  /** Read on every request, so a live change applies to the next one. */
  policy: () => ResolvedPolicy
  lookup?: Lookup
  /** Tests and benchmarks only: let one of our own servers' addresses pass the address check. */
  trustAddress?: (ip: string) => boolean
  /** See addresses.ts: documentation ranges pass unless this is false. */
  allowDocumentationAddresses?: boolean
  /** Tests only: how a checked address is dialled (default net.connect with these options). */
  connect?: (opts: net.TcpNetConnectOpts) => net.Socket
}

/** What the router shares with the proxy around it. */
export interface RouterDeps {
  events: BlockEvents
  /** The proxy's counters, counted here. */
  stats: { allowed: number; blocked: number }
  upstreamFor: UpstreamResolver
  lookupTimeoutMs: number
  connectTimeoutMs: number
  /** How long a name's answer is reused (name-cache.ts; default 30 s). */
  nameTtlMs?: number
}

/**
 * An allowed destination: the checked addresses to try in order (or the name itself, for an upstream to
 * resolve), and the upstream it goes through (null: dialled directly).
 */
export interface Route {
  ok: true
  targets: string[]
  upstream: UpstreamProxy | null
}

export type Prepared = Route | { ok: false; status: number; text: string }

const defaultLookup: Lookup = (h) => dns.lookup(h, { all: true, verbatim: true })

export class Router {
  /** One lookup per name for a burst of connections, its answer reused briefly (see name-cache.ts). */
  private readonly names: NameCache
  /** The same for the name of the host's own proxy, dialled once per tunnel through it. */
  private readonly upstreamLookup: net.LookupFunction

  constructor(
    private readonly opts: RouteOptions,
    private readonly deps: RouterDeps,
  ) {
    this.names = new NameCache(opts.lookup ?? defaultLookup, { ttlMs: deps.nameTtlMs })
    this.upstreamLookup = asLookupFunction(new NameCache(defaultLookup, { ttlMs: deps.nameTtlMs }))
  }

  /** Decides, resolves and checks: the addresses to connect to, or a refusal (a block event when it is one). */
  async prepare(host: string, port: number, method: string, secure: boolean): Promise<Prepared> {
    const block = (rule: string): Prepared => {
      this.deps.stats.blocked++
      this.deps.events.report({ phase: this.opts.phase, host, port, method, rule })
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
    const upstream = this.deps.upstreamFor(host, port, secure)
    if (isIpLiteral(host) && !net.isIP(host)) return block('an address in a non-standard spelling')
    const found = isIpLiteral(host) ? { addresses: [host] } : await this.addressesOf(host)
    if ('failed' in found) {
      // No local answer: an upstream may still resolve it (see policy-proxy.ts).
      if (upstream) {
        this.deps.stats.allowed++
        return { ok: true, targets: [host], upstream }
      }
      return {
        ok: false,
        status: gatewayStatus(found.failed),
        text: `${host} does not resolve (${found.failed})`,
      }
    }
    const { addresses } = found
    const refused = this.refusedAddress(host, addresses)
    if (refused) return block(refused)
    this.deps.stats.allowed++
    if (upstream) addresses.sort((a, b) => net.isIP(a) - net.isIP(b))
    return { ok: true, targets: addresses, upstream }
  }

  /** A connected socket to the first checked address that answers (through the upstream when one applies). */
  async open(
    host: string,
    port: number,
    route: Route,
    onread?: net.OnReadOpts,
  ): Promise<{ socket: net.Socket; address: string }> {
    if (route.upstream) return this.openThrough(route.upstream, host, port, route.targets[0] ?? host)
    let last: unknown
    for (const address of route.targets) {
      try {
        return { socket: await this.dial(address, port, onread), address }
      } catch (err) {
        last = err
      }
    }
    throw last
  }

  /** The addresses a name resolves to, or the code of why it does not. */
  private async addressesOf(host: string): Promise<{ addresses: string[] } | { failed: string }> {
    try {
      const addresses = (await this.resolve(host)).map((a) => a.address)
      return addresses.length ? { addresses } : { failed: 'ENODATA' }
    } catch (err) {
      return { failed: (err as NodeJS.ErrnoException).code ?? 'no answer' }
    }
  }

  private resolve(host: string): ReturnType<Lookup> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(codedError('lookup timed out', 'ETIMEDOUT')),
        this.deps.lookupTimeoutMs,
      )
      this.names
        .resolve(host)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer))
    })
  }

  /** Why the first refused one of a name's addresses is refused, or undefined when all pass. */
  private refusedAddress(host: string, addresses: readonly string[]): string | undefined {
    const allowDocumentation = this.opts.allowDocumentationAddresses !== false
    for (const address of addresses) {
      if (this.opts.trustAddress?.(address)) continue
      const problem = addressProblem(address, { allowDocumentation })
      if (problem) return address === host ? problem : `resolves to ${problem} (${address})`
    }
    return undefined
  }

  private async openThrough(
    upstream: UpstreamProxy,
    host: string,
    port: number,
    address: string,
  ): Promise<{ socket: net.Socket; address: string }> {
    try {
      const socket = await connectThroughUpstream(upstream, address, port, {
        timeoutMs: this.deps.connectTimeoutMs,
        lookup: this.upstreamLookup,
      })
      return { socket, address }
    } catch (err) {
      const status = gatewayStatus(err instanceof UpstreamError ? err.code : undefined)
      throw new Refusal(status, `${host}:${port} — ${(err as Error).message}`)
    }
  }

  /** Connects to a checked address (never a name) within the connect timeout. */
  private dial(address: string, port: number, onread?: net.OnReadOpts): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      if (!net.isIP(address)) throw new Error(`refusing to dial a name (${address}): only checked addresses`)
      const opts: net.TcpNetConnectOpts = { host: address, port, onread, allowHalfOpen: true, noDelay: true }
      const socket = this.opts.connect?.(opts) ?? net.connect(opts)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(codedError('connect timed out', 'ETIMEDOUT'))
      }, this.deps.connectTimeoutMs)
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
