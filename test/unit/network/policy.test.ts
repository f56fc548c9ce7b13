import { describe, expect, it } from 'vitest'
import {
  decide,
  normalizePattern,
  resolvePolicy,
  type ResolvedPolicy,
} from '../../../src/main/network/policy'
import { describeBlock, REGISTRY_HOSTS, type PhaseNetwork } from '../../../src/shared/network'

const phase = (mode: PhaseNetwork['mode'], hosts: string[] = [], readOnly = false): PhaseNetwork => ({
  mode,
  hosts,
  readOnly,
})

describe('resolvePolicy', () => {
  it('registries: the preset, the phase hosts and the extra hosts, normalized and deduplicated', () => {
    const p = resolvePolicy(phase('registries', ['api.github.com:443', 'Registry.NPMJS.org']), {
      registries: REGISTRY_HOSTS,
      extraHosts: ['github.com', 'git.example.org.'],
    })
    expect(p.mode).toBe('registries')
    expect(p.patterns).toEqual([...REGISTRY_HOSTS, 'api.github.com:443', 'github.com', 'git.example.org'])
    expect(p.readOnly).toBe(false)
  })

  it('custom: only the phase hosts and the extra hosts', () => {
    const p = resolvePolicy(phase('custom', ['*.example.com'], true), {
      registries: REGISTRY_HOSTS,
      extraHosts: ['github.com'],
    })
    expect(p).toEqual({ mode: 'custom', patterns: ['*.example.com', 'github.com'], readOnly: true })
  })

  it('off and full have no patterns', () => {
    for (const mode of ['off', 'full'] as const) {
      expect(
        resolvePolicy(phase(mode, ['a.example.com']), { registries: REGISTRY_HOSTS, extraHosts: ['x.org'] })
          .patterns,
      ).toEqual([])
    }
  })

  it('drops what is not a host pattern', () => {
    const p = resolvePolicy(phase('custom', []), {
      registries: [],
      extraHosts: [
        'localhost',
        '10.0.0.1',
        '*.10.0.0',
        'ok.example.com:70000',
        'a b.com',
        'fine.example.com:8443',
      ],
    })
    expect(p.patterns).toEqual(['fine.example.com:8443'])
  })

  it('normalizePattern', () => {
    expect(normalizePattern('  *.Example.COM. ')).toBe('*.example.com')
    expect(normalizePattern('example.com.:8443')).toBe('example.com:8443')
    expect(normalizePattern('1.2.3.4')).toBeUndefined()
    expect(normalizePattern('example.com:0')).toBeUndefined()
  })
})

const npm = 'registry.npmjs.org'
const registries = resolvePolicy(
  phase('registries', ['*.example.com', 'api.github.com:443', 'git.example.org:8443']),
  {
    registries: REGISTRY_HOSTS,
    extraHosts: ['git.example.org'],
  },
)
const readOnly = resolvePolicy(phase('custom', [npm, 'plain.example.net'], true), {
  registries: [],
  extraHosts: [],
})
const custom = resolvePolicy(phase('custom', ['only.example.com']), {
  registries: REGISTRY_HOSTS,
  extraHosts: [],
})
const off = resolvePolicy(phase('off'), { registries: REGISTRY_HOSTS, extraHosts: [] })
const full = resolvePolicy(phase('full'), { registries: REGISTRY_HOSTS, extraHosts: [] })
const fullReadOnly = resolvePolicy(phase('full', [], true), { registries: [], extraHosts: [] })

type Row = readonly [string, ResolvedPolicy, string, number, string | undefined, boolean, string]

const ALLOW_NPM = `allowed by ${npm}`
const NOT_LISTED = "not in this task's allowlist"
const CONNECT_NOTE = ' (read-only is not enforced inside HTTPS: a CONNECT is judged by host only)'

const ROWS: readonly Row[] = [
  ['exact name, 443', registries, npm, 443, 'CONNECT', true, ALLOW_NPM],
  ['exact name, 80', registries, npm, 80, 'GET', true, ALLOW_NPM],
  ['uppercase name', registries, 'REGISTRY.NPMJS.ORG', 443, 'CONNECT', true, ALLOW_NPM],
  ['trailing dot', registries, `${npm}.`, 443, 'CONNECT', true, ALLOW_NPM],
  ['port 22', registries, npm, 22, 'CONNECT', false, `port 22 is not allowed for ${npm} (80 and 443 are)`],
  ['port 8080', registries, npm, 8080, 'GET', false, `port 8080 is not allowed for ${npm} (80 and 443 are)`],
  ['a subdomain of an exact name', registries, `evil.${npm}`, 443, 'CONNECT', false, NOT_LISTED],
  ['a suffix that is not a subdomain', registries, `x${npm}`, 443, 'CONNECT', false, NOT_LISTED],
  ['an unlisted registry', registries, 'registry.example.org', 443, 'CONNECT', false, NOT_LISTED],
  ['wildcard: a subdomain', registries, 'a.example.com', 443, 'CONNECT', true, 'allowed by *.example.com'],
  ['wildcard: a deep subdomain', registries, 'a.b.example.com', 80, 'GET', true, 'allowed by *.example.com'],
  ['wildcard: not the bare name', registries, 'example.com', 443, 'CONNECT', false, NOT_LISTED],
  ['wildcard: not a look-alike', registries, 'badexample.com', 443, 'CONNECT', false, NOT_LISTED],
  [
    'wildcard: port 22',
    registries,
    'a.example.com',
    22,
    'CONNECT',
    false,
    'port 22 is not allowed for a.example.com (80 and 443 are)',
  ],
  ['explicit port', registries, 'api.github.com', 443, 'CONNECT', true, 'allowed by api.github.com:443'],
  [
    'explicit port only',
    registries,
    'api.github.com',
    80,
    'GET',
    false,
    'port 80 is not allowed for api.github.com (443 is)',
  ],
  [
    'ports of two patterns',
    registries,
    'git.example.org',
    8443,
    'CONNECT',
    true,
    'allowed by git.example.org:8443',
  ],
  [
    'ports of two patterns, listed',
    registries,
    'git.example.org',
    22,
    'CONNECT',
    false,
    'port 22 is not allowed for git.example.org (80, 443 and 8443 are)',
  ],
  ['an IPv4 literal', registries, '104.16.0.35', 443, 'CONNECT', false, 'an address, not a name'],
  ['an IPv6 literal', registries, '[2606:4700::1]', 443, 'CONNECT', false, 'an address, not a name'],
  ['a numeric IPv4 spelling', registries, '2130706433', 443, 'CONNECT', false, 'an address, not a name'],
  ['a short IPv4 spelling', registries, '127.1', 80, 'GET', false, 'an address, not a name'],
  ['a malformed name', registries, 'a..example.com', 443, 'CONNECT', false, 'not a valid host name'],
  ['a name with a slash', registries, 'evil/.example.com', 443, 'CONNECT', false, 'not a valid host name'],
  ['custom: the one host', custom, 'only.example.com', 443, 'CONNECT', true, 'allowed by only.example.com'],
  ['custom: not the registries', custom, npm, 443, 'CONNECT', false, NOT_LISTED],
  ['read-only: GET', readOnly, 'plain.example.net', 80, 'GET', true, 'allowed by plain.example.net'],
  ['read-only: HEAD', readOnly, 'plain.example.net', 80, 'HEAD', true, 'allowed by plain.example.net'],
  ['read-only: OPTIONS', readOnly, 'plain.example.net', 80, 'options', true, 'allowed by plain.example.net'],
  ['read-only: POST', readOnly, 'plain.example.net', 80, 'POST', false, 'read-only: POST is not allowed'],
  ['read-only: PUT', readOnly, 'plain.example.net', 80, 'PUT', false, 'read-only: PUT is not allowed'],
  [
    'read-only: DELETE',
    readOnly,
    'plain.example.net',
    80,
    'DELETE',
    false,
    'read-only: DELETE is not allowed',
  ],
  ['read-only: CONNECT by host only', readOnly, npm, 443, 'CONNECT', true, `${ALLOW_NPM}${CONNECT_NOTE}`],
  ['read-only: unknown method passes', readOnly, npm, 443, undefined, true, ALLOW_NPM],
  ['read-only: the name first', readOnly, 'other.example.net', 80, 'POST', false, NOT_LISTED],
  ['off: everything refused', off, npm, 443, 'CONNECT', false, 'the network is off for this phase'],
  ['full: any name', full, 'anything.example', 8080, 'POST', true, 'full network'],
  [
    'full: an address (the address check still applies)',
    full,
    '104.16.0.35',
    22,
    'CONNECT',
    true,
    'full network',
  ],
  [
    'full + read-only: POST',
    fullReadOnly,
    'anything.example',
    80,
    'POST',
    false,
    'read-only: POST is not allowed',
  ],
]

describe('decide', () => {
  it.each(ROWS)('%s', (_name, policy, host, port, method, allowed, rule) => {
    expect(decide(policy, { host, port, method })).toEqual({ allowed, rule })
  })

  it('reads as the timeline shows it', () => {
    const d = decide(registries, { host: 'registry.example.org', port: 443, method: 'CONNECT' })
    expect(describeBlock({ host: 'registry.example.org', port: 443, rule: d.rule })).toBe(
      "Blocked: registry.example.org:443 — not in this task's allowlist",
    )
  })

  it('works on a policy built by hand (no resolvePolicy)', () => {
    const p: ResolvedPolicy = {
      mode: 'custom',
      patterns: ['Mixed.Example.com', 'bad pattern'],
      readOnly: false,
    }
    expect(decide(p, { host: 'mixed.example.com', port: 443 }).allowed).toBe(true)
  })
})
