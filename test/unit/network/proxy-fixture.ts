import net from 'node:net'
import { join } from 'node:path'
import { PolicyProxy, type PolicyProxyOptions, type ProxyBlock } from '../../../src/main/network/policy-proxy'
import { resolvePolicy, type ResolvedPolicy } from '../../../src/main/network/policy'
import type { PhaseNetwork } from '../../../src/shared/network'
import { tempDir } from './proxy-helpers'

export interface Fixture {
  proxy: PolicyProxy
  socketPath: string
  blocks: ProxyBlock[]
  /** Every address the proxy dialled directly. */
  dials: string[]
  setPolicy: (phase: Partial<PhaseNetwork>) => void
  close: () => Promise<void>
}

export const custom = (hosts: string[], readOnly = false): PhaseNetwork => ({
  mode: 'custom',
  hosts,
  readOnly,
})

/**
 * A policy proxy on a unix socket in a temp dir. `names` is the resolver (a name → its addresses; other
 * names do not resolve); `trusted` the addresses let past the address check (our own 127.0.0.1 servers).
 * The dialler refuses anything but loopback, so a bug can never turn a test into a probe elsewhere.
 */
export async function startProxy(
  opts: {
    phase?: PhaseNetwork
    names?: Record<string, string[]>
    trusted?: string[]
  } & Partial<Omit<PolicyProxyOptions, 'socketPath' | 'policy' | 'onBlocked' | 'phase'>> = {},
): Promise<Fixture> {
  const { phase, names = {}, trusted, ...rest } = opts
  const { dir, remove } = await tempDir()
  const socketPath = join(dir, 'proxy.sock')
  const blocks: ProxyBlock[] = []
  const dials: string[] = []
  let policy: ResolvedPolicy = resolvePolicy(phase ?? custom([]), { registries: [], extraHosts: [] })
  const proxy = await PolicyProxy.listen({
    phase: 'setup',
    lookup: async (host) => {
      const list = names[host]
      if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
      return list.map((address) => ({ address, family: net.isIP(address) }))
    },
    trustAddress: trusted ? (ip) => trusted.includes(ip) : undefined,
    connect: (o) => {
      dials.push(`${o.host}:${o.port}`)
      if (o.host !== '127.0.0.1') throw new Error(`test guard: refusing to dial ${o.host}`)
      return net.connect(o)
    },
    upstream: null,
    ...rest,
    socketPath,
    policy: () => policy,
    onBlocked: (b) => blocks.push(b),
  })
  return {
    proxy,
    socketPath,
    blocks,
    dials,
    setPolicy: (phase) => {
      policy = resolvePolicy({ ...custom([]), ...phase }, { registries: [], extraHosts: [] })
    },
    close: async () => {
      await proxy.close()
      await remove()
    },
  }
}
