import { HOST_PATTERN, type NetworkBlock, type NetworkMode, type PhaseNetwork } from '../../shared/network'
import { isIpLiteral } from './addresses'

/**
 * A phase's network policy as the policy proxy applies it: the mode, every host pattern that is allowed
 * (registries preset + the phase's own hosts + extra hosts such as the one the repository was cloned
 * from), and whether only GET/HEAD/OPTIONS pass.
 */
export interface ResolvedPolicy {
  readonly mode: NetworkMode
  /** Normalized patterns: `example.com`, `*.example.com`, optionally `:port`. Empty in `off` and `full`. */
  readonly patterns: readonly string[]
  readonly readOnly: boolean
}

export interface Destination {
  host: string
  port: number
  /** The HTTP method of a plain HTTP request, or `CONNECT`; absent when unknown. */
  method?: string
}

export interface Decision {
  allowed: boolean
  /** What decided, in words users read in the timeline ("not in this task's allowlist"). */
  rule: string
}

export const NOT_IN_ALLOWLIST = "not in this task's allowlist"
export const AN_ADDRESS = 'an address, not a name'
export const NETWORK_OFF = 'the network is off for this phase'
export const NOT_A_NAME = 'not a valid host name'
export const READ_ONLY_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS']

export function resolvePolicy(
  phase: PhaseNetwork,
  opts: { registries: readonly string[]; extraHosts: readonly string[] },
): ResolvedPolicy {
  const readOnly = phase.readOnly === true
  if (phase.mode === 'off' || phase.mode === 'full') {
    return Object.freeze({ mode: phase.mode, patterns: Object.freeze([]), readOnly })
  }
  const sources =
    phase.mode === 'registries'
      ? [...opts.registries, ...phase.hosts, ...opts.extraHosts]
      : [...phase.hosts, ...opts.extraHosts]
  const patterns: string[] = []
  for (const raw of sources) {
    const p = normalizePattern(raw)
    if (p !== undefined && !patterns.includes(p)) patterns.push(p)
  }
  return Object.freeze({ mode: phase.mode, patterns: Object.freeze(patterns), readOnly })
}

/** Lowercase, no surrounding space, no trailing dot on the name; undefined when it is not a host pattern. */
export function normalizePattern(raw: string): string | undefined {
  const m = /^(.*?)(:\d{1,5})?$/.exec(raw.trim().toLowerCase())
  const name = (m?.[1] ?? '').replace(/\.$/, '')
  const port = m?.[2] ?? ''
  const p = `${name}${port}`
  if (!HOST_PATTERN.test(p) || isIpLiteral(name.replace(/^\*\./, ''))) return undefined
  if (port && (Number(port.slice(1)) < 1 || Number(port.slice(1)) > 65535)) return undefined
  return p
}

/** A destination host as the policy compares it: lowercase, without brackets or one trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  return h.endsWith('.') && !h.endsWith('..') ? h.slice(0, -1) : h
}

/** Decides one destination (a CONNECT target, or a plain HTTP request's host) against a policy. */
export function decide(policy: ResolvedPolicy, dest: Destination): Decision {
  const host = normalizeHost(dest.host)
  const method = dest.method?.toUpperCase()
  if (policy.mode === 'off') return { allowed: false, rule: NETWORK_OFF }
  if (policy.mode === 'full') return allow(policy, method, 'full network')
  if (isIpLiteral(host)) return { allowed: false, rule: AN_ADDRESS }
  if (!isHostName(host)) return { allowed: false, rule: NOT_A_NAME }
  const matching = compiled(policy).filter((p) => nameMatches(p, host))
  if (matching.length === 0) return { allowed: false, rule: NOT_IN_ALLOWLIST }
  const byPort = matching.find((p) =>
    p.port === undefined ? dest.port === 80 || dest.port === 443 : p.port === dest.port,
  )
  if (!byPort) {
    const ports = [...new Set(matching.flatMap((p) => (p.port === undefined ? [80, 443] : [p.port])))]
    ports.sort((a, b) => a - b)
    return { allowed: false, rule: `port ${dest.port} is not allowed for ${host} (${listPorts(ports)})` }
  }
  return allow(policy, method, `allowed by ${byPort.text}`)
}

/** Dot-separated labels of letters, digits, `-` and `_`, at most 253 characters. */
export function isHostName(host: string): boolean {
  return (
    host.length <= 253 &&
    /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(host)
  )
}

/** Allowed for `reason`, unless read-only refuses the method. */
function allow(policy: ResolvedPolicy, method: string | undefined, reason: string): Decision {
  return (
    readOnlyDecision(policy, method) ?? { allowed: true, rule: `${reason}${readOnlyNote(policy, method)}` }
  )
}

function readOnlyDecision(policy: ResolvedPolicy, method: string | undefined): Decision | undefined {
  if (!policy.readOnly || method === undefined || method === 'CONNECT') return undefined
  if (READ_ONLY_METHODS.includes(method)) return undefined
  return { allowed: false, rule: `read-only: ${method} is not allowed` }
}

function readOnlyNote(policy: ResolvedPolicy, method: string | undefined): string {
  return policy.readOnly && method === 'CONNECT'
    ? ' (read-only is not enforced inside HTTPS: a CONNECT is judged by host only)'
    : ''
}

function listPorts(ports: readonly number[]): string {
  if (ports.length === 1) return `${ports[0]} is`
  return `${ports.slice(0, -1).join(', ')} and ${ports[ports.length - 1]} are`
}

interface Compiled {
  text: string
  wildcard: boolean
  /** The name, or for a wildcard the suffix without `*`: `.example.com`. */
  name: string
  port?: number
}

const cache = new WeakMap<ResolvedPolicy, readonly Compiled[]>()

function compiled(policy: ResolvedPolicy): readonly Compiled[] {
  let list = cache.get(policy)
  if (!list) {
    list = policy.patterns.flatMap((raw) => {
      const text = normalizePattern(raw)
      if (text === undefined) return []
      const [name = '', port] = text.split(':')
      const wildcard = name.startsWith('*.')
      return [
        { text, wildcard, name: wildcard ? name.slice(1) : name, port: port ? Number(port) : undefined },
      ]
    })
    cache.set(policy, list)
  }
  return list
}

function nameMatches(p: Compiled, host: string): boolean {
  return p.wildcard ? host.length > p.name.length && host.endsWith(p.name) : host === p.name
}

const MAX_KEYS = 200

/** A refusal as the policy proxy reports it: a NetworkBlock with how many refusals it stands for. */
export interface ProxyBlock extends NetworkBlock {
  /** 1, or the repeats coalesced since the previous event of the same host, port and rule. */
  count: number
}

/**
 * Coalesces refusals into few events: the first of each (host, port, rule) at once, its repeats within the
 * window as one event with their count when the window ends. At most MAX_KEYS different refusals are
 * tracked per window; more (a loop over made-up names) are counted in the proxy's stats only.
 */
export class BlockEvents {
  private readonly windows = new Map<
    string,
    { block: NetworkBlock; repeats: number; timer: NodeJS.Timeout }
  >()

  constructor(
    private readonly emit: (block: ProxyBlock) => void,
    private readonly windowMs: number,
  ) {}

  report(block: NetworkBlock): void {
    const key = `${block.host}\n${block.port}\n${block.rule}`
    const open = this.windows.get(key)
    if (open) {
      open.repeats++
      return
    }
    if (this.windows.size >= MAX_KEYS) return
    const timer = setTimeout(() => this.flush(key), this.windowMs)
    timer.unref()
    this.windows.set(key, { block, repeats: 0, timer })
    this.send({ ...block, count: 1 })
  }

  close(): void {
    for (const key of [...this.windows.keys()]) this.flush(key)
  }

  private flush(key: string): void {
    const w = this.windows.get(key)
    if (!w) return
    clearTimeout(w.timer)
    this.windows.delete(key)
    if (w.repeats > 0) this.send({ ...w.block, count: w.repeats })
  }

  private send(block: ProxyBlock): void {
    try {
      this.emit(block)
    } catch {
      // A failing listener must not break the proxy.
    }
  }
}
