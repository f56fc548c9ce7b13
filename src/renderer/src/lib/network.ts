import { parseHostList } from '../../../shared/contract'
import {
  hostPatternSchema,
  type NetworkBlock,
  type NetworkMode,
  type PhaseNetwork,
} from '../../../shared/network'

export const MODE_LABELS: Record<NetworkMode, string> = {
  off: 'Off',
  registries: 'Package registries',
  custom: 'Custom allowlist',
  full: 'Full',
}

export const MODE_HELP: Record<NetworkMode, string> = {
  off: 'No network at all.',
  registries: 'Only the package registries listed in Settings (npm, PyPI, crates.io, …).',
  custom: 'Only the hosts you list.',
  full: 'Any address on the internet, from a network of its own (no other containers).',
}

/** A phase's network as a form holds it: the hosts as typed. */
export interface PhaseDraft {
  mode: NetworkMode
  /** Host patterns separated by commas, spaces or newlines. */
  hosts: string
  readOnly: boolean
}

/** Only registries and custom pass the policy proxy, which is what enforces read-only and extra hosts. */
export const isProxied = (mode: NetworkMode): boolean => mode === 'registries' || mode === 'custom'

export const toPhaseDraft = (network: PhaseNetwork): PhaseDraft => ({
  mode: network.mode,
  hosts: network.hosts.join(', '),
  readOnly: network.readOnly,
})

/** The phase's network, or what to fix in its hosts. Off and full carry no hosts and are never read-only. */
export function phaseFromDraft(draft: PhaseDraft): { value?: PhaseNetwork; error?: string } {
  if (!isProxied(draft.mode)) return { value: { mode: draft.mode, hosts: [], readOnly: false } }
  const { hosts, bad } = parseHostList(draft.hosts)
  if (bad.length) {
    const list = bad.map((b) => `“${b}”`).join(', ')
    return { error: `Not a host pattern: ${list}. Use example.com, *.example.com or example.com:8443.` }
  }
  if (draft.mode === 'custom' && !hosts.length) return { error: 'List at least one host, or choose Off.' }
  if (hosts.length > 500) return { error: 'At most 500 hosts.' }
  return { value: { mode: draft.mode, hosts, readOnly: draft.readOnly } }
}

/** What "Allow for this task" adds for a blocked request: the host alone when the port is 80 or 443. */
export const allowPattern = (block: Pick<NetworkBlock, 'host' | 'port'>): string =>
  block.port === 80 || block.port === 443
    ? block.host.toLowerCase()
    : `${block.host.toLowerCase()}:${block.port}`

/**
 * Whether allowing the host could help: it is a name (not an address), and the proxy refused it for not
 * being listed ("not in this task's allowlist") or for its port ("port 8443 is not allowed for …"), not for
 * what it resolves to (loopback, private, link-local: refused whatever the list says), for a read-only
 * policy or because the network is off. The rule is the proxy's own words, hence the patterns.
 */
export function canAllow(block: Pick<NetworkBlock, 'host' | 'port' | 'rule'>): boolean {
  if (!hostPatternSchema.safeParse(allowPattern(block)).success) return false
  return /allowlist/i.test(block.rule) || /^port \d+ is not allowed for /i.test(block.rule)
}
