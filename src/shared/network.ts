import { z } from 'zod'

/**
 * The sandbox's network, per task and per phase (setup, agent):
 * - `off`: no network at all (only loopback);
 * - `registries`: only the package registries of `REGISTRY_HOSTS` (editable in Settings), through the policy
 *   proxy;
 * - `custom`: only the given host patterns, through the policy proxy;
 * - `full`: a dedicated bridge network (no traffic to other containers), no proxy.
 * In `registries` and `custom` the container has no route out but the policy proxy, which decides by the
 * destination's name and refuses loopback, private, link-local and multicast addresses.
 */
export const NETWORK_MODES = ['off', 'registries', 'custom', 'full'] as const
export type NetworkMode = (typeof NETWORK_MODES)[number]

export const NETWORK_PHASES = ['setup', 'agent'] as const
export type NetworkPhase = (typeof NETWORK_PHASES)[number]

/**
 * A host pattern: `example.com`, `*.example.com` (any subdomain, not the name itself), optionally with
 * `:port` (without one, ports 80 and 443). Lowercase letters, digits, dots and dashes; no IP literals.
 */
export const HOST_PATTERN =
  /^(\*\.)?[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)+(:\d{1,5})?$/

export const hostPatternSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(300)
  .refine((p) => HOST_PATTERN.test(p) && !/^(\*\.)?[\d.]+(:\d+)?$/.test(p), {
    message: 'Not a host pattern (example.com, *.example.com or example.com:8443)',
  })
  .refine((p) => !p.includes(':') || Number(p.split(':')[1]) <= 65535, { message: 'Not a port' })

export const phaseNetworkSchema = z
  .object({
    mode: z.enum(NETWORK_MODES),
    /** `custom`: the allowed host patterns; `registries`: patterns allowed on top of the registries. */
    hosts: z.array(hostPatternSchema).max(500).default([]),
    /** Only GET, HEAD and OPTIONS pass (plain HTTP; HTTPS is never decrypted, so CONNECT is judged by host). */
    readOnly: z.boolean().default(false),
  })
  .strict()
export type PhaseNetwork = z.infer<typeof phaseNetworkSchema>

export const taskNetworkSchema = z.object({ setup: phaseNetworkSchema, agent: phaseNetworkSchema }).strict()
export type TaskNetwork = z.infer<typeof taskNetworkSchema>

/**
 * The `registries` preset: package registries and mirrors of the common ecosystems (documented in the
 * README; editable in Settings).
 */
export const REGISTRY_HOSTS: readonly string[] = [
  // npm, Yarn
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'repo.yarnpkg.com',
  // Python
  'pypi.org',
  'files.pythonhosted.org',
  // Rust
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  // Go
  'proxy.golang.org',
  'sum.golang.org',
  // Java
  'repo.maven.apache.org',
  'repo1.maven.org',
  // Ruby
  'rubygems.org',
  'index.rubygems.org',
  // .NET
  'api.nuget.org',
  'globalcdn.nuget.org',
  // PHP
  'repo.packagist.org',
  'packagist.org',
  // Linux distributions
  'deb.debian.org',
  'security.debian.org',
  'archive.ubuntu.com',
  'security.ubuntu.com',
  'dl-cdn.alpinelinux.org',
  // GitHub release and archive downloads
  'codeload.github.com',
  'objects.githubusercontent.com',
]

/** A request the policy proxy refused: a task event, a line in the timeline, a note to the model. */
export interface NetworkBlock {
  phase: NetworkPhase
  host: string
  port: number
  /** The HTTP method, when the request was plain HTTP or a CONNECT (`CONNECT`). */
  method?: string
  /** What decided: 'not in the allowlist', 'private address 10.0.0.5', 'read-only: POST', … */
  rule: string
  /** Repeats of the same refusal folded into this one event (1 or absent: just this one). */
  count?: number
}

/** "Blocked: registry.example.org:443 — not in this task's allowlist". */
export function describeBlock(block: Pick<NetworkBlock, 'host' | 'port' | 'rule'>): string {
  return `Blocked: ${block.host}:${block.port} — ${block.rule}`
}
