import type dns from 'node:dns'
import type net from 'node:net'
import type { Lookup } from './policy-proxy-route'

/**
 * The policy proxy's short memory of what names resolved to: one lookup per name for every connection
 * that asks while it runs (they share it), and its answer reused for `ttlMs` after. Used for the names
 * the sandbox asks for and for the name of the host's own proxy (`asLookupFunction`).
 *
 * Why: a package manager opens many connections to one registry at once (npm 9 opens a new CONNECT per
 * tarball, 81 at once for 81 packages), and resolvers drop bursts of identical queries. Measured on the
 * machine this was built on: 16 parallel `dns.lookup('registry.npmjs.org')` calls had several answered
 * only after the resolver's 5 s retry in a third of the rounds, while lookups one after another never
 * did; `npm ci` of 81 packages took 27 s through the proxy (3 s on the direct network), in waves 5 s
 * apart, and 4-6 s with this cache.
 *
 * What it does not change: every request is still decided by name, and every address of the answer is
 * still checked, on every request (policy-proxy-route.ts); only the resolver is asked less often. An
 * answer that changes (DNS rebinding) is seen at most `ttlMs` later, and dialled addresses are always
 * ones that were checked. Failures are never kept: the next connection asks again.
 */

export type Addresses = Awaited<ReturnType<Lookup>>

export interface NameCacheOptions {
  /** How long an answer is reused (default 30 s). */
  ttlMs?: number
  /** At most this many names are remembered; the oldest answer goes first (default 256). */
  maxNames?: number
  now?: () => number
}

export const NAME_TTL_MS = 30_000
const MAX_NAMES = 256

export class NameCache {
  private readonly answers = new Map<string, { at: number; addresses: Addresses }>()
  private readonly asking = new Map<string, Promise<Addresses>>()
  private readonly ttlMs: number
  private readonly maxNames: number
  private readonly now: () => number

  constructor(
    private readonly lookup: Lookup,
    opts: NameCacheOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? NAME_TTL_MS
    this.maxNames = opts.maxNames ?? MAX_NAMES
    this.now = opts.now ?? Date.now
  }

  /** The name's addresses: a fresh answer kept, the lookup already running for it, or a new lookup. */
  resolve(host: string): Promise<Addresses> {
    const kept = this.fresh(host)
    if (kept) return Promise.resolve(copyOf(kept))
    let pending = this.asking.get(host)
    if (!pending) {
      pending = this.ask(host).finally(() => this.asking.delete(host))
      this.asking.set(host, pending)
    }
    return pending.then(copyOf)
  }

  private fresh(host: string): Addresses | undefined {
    const kept = this.answers.get(host)
    if (!kept) return undefined
    if (this.now() - kept.at < this.ttlMs) return kept.addresses
    this.answers.delete(host)
    return undefined
  }

  private async ask(host: string): Promise<Addresses> {
    const addresses = copyOf(await this.lookup(host))
    if (addresses.length && this.ttlMs > 0) this.remember(host, addresses)
    return addresses
  }

  private remember(host: string, addresses: Addresses): void {
    this.answers.delete(host)
    while (this.answers.size >= this.maxNames) {
      const oldest = this.answers.keys().next()
      if (oldest.done) break
      this.answers.delete(oldest.value)
    }
    this.answers.set(host, { at: this.now(), addresses })
  }
}

/** A copy, so that no caller's change (a sort) reaches what is kept or what another caller got. */
const copyOf = (addresses: Addresses): Addresses => addresses.map((a) => ({ ...a }))

/**
 * The cache as the `lookup` option of `net.connect`/`tls.connect` (for a socket dialled by name: the host's
 * own proxy), honouring the family and `all` Node asks with.
 */
export function asLookupFunction(cache: NameCache): net.LookupFunction {
  return (hostname: string, options: dns.LookupOptions, callback) => {
    const wanted = typeof options.family === 'number' ? options.family : 0
    cache.resolve(hostname).then(
      (found) => {
        const list = found.filter((a) => !wanted || a.family === wanted)
        const first = list[0]
        if (options.all) callback(null, list)
        else if (first) callback(null, first.address, first.family)
        else callback(noAddress(hostname), '', 0)
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    )
  }
}

function noAddress(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname })
}
