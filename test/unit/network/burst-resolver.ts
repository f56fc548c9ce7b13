import net from 'node:net'
import type { Addresses } from '../../../src/main/network/name-cache'

/** How long the resolver below holds a query it "dropped": glibc's default retry timeout. */
export const RESOLVER_RETRY_MS = 5_000

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A resolver like the one that stalled `npm ci` behind the policy proxy: a query alone is answered in
 * 20 ms; one sent while another is unanswered is "dropped" and answered only after the 5 s retry.
 * `names` maps a name to its addresses (read at each query); other names fail with ENOTFOUND.
 */
export function burstDroppingResolver(names: Record<string, string[]>): {
  lookup: (host: string) => Promise<Addresses>
  /** Every name asked, in order. */
  calls: string[]
} {
  const calls: string[] = []
  let unanswered = 0
  const lookup = async (host: string): Promise<Addresses> => {
    calls.push(host)
    const wait = unanswered > 0 ? RESOLVER_RETRY_MS : 20
    unanswered++
    await pause(wait)
    unanswered--
    const list = names[host]
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
    return list.map((address) => ({ address, family: net.isIP(address) }))
  }
  return { lookup, calls }
}
