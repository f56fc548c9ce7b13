import { isIPv4, isIPv6 } from 'node:net'

/**
 * Which destination addresses the policy proxy refuses, whatever name led there: everything that is not
 * an ordinary public unicast address. A name on the allowlist that resolves to one of these is refused
 * too (DNS rebinding: an allowed name pointed at 127.0.0.1, the host's LAN, or a cloud metadata service).
 *
 * The answer is a noun phrase users read in the timeline: "resolves to a private address (10.1.2.3)".
 */

export interface AddressCheckOptions {
  /**
   * Let the documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20) pass.
   * They never route on the public Internet, so reaching one means the host's own network steers it there
   * (a transparent TLS-inspecting proxy answering every name with 203.0.113.80, as on the machines this
   * project is built on); they hide no service of the host's network that a refusal would protect.
   */
  allowDocumentation?: boolean
}

const METADATA = 'a link-local address (cloud metadata service)'
const DOCUMENTATION = 'a documentation address'
const PRIVATE = 'a private address'

/** IPv4 ranges, most specific first where they nest. */
const V4_RANGES = (
  [
    ['0.0.0.0/32', 'the unspecified address'],
    ['0.0.0.0/8', 'a "this network" address'],
    ['10.0.0.0/8', PRIVATE],
    ['100.64.0.0/10', 'a shared (CGNAT) address'],
    ['127.0.0.0/8', 'a loopback address'],
    ['169.254.169.254/32', METADATA],
    ['169.254.170.2/32', METADATA],
    ['169.254.0.0/16', 'a link-local address'],
    ['172.16.0.0/12', PRIVATE],
    ['192.0.0.0/24', 'a reserved (IETF protocol) address'],
    ['192.0.2.0/24', DOCUMENTATION],
    ['192.88.99.0/24', 'a reserved (6to4 relay) address'],
    ['192.168.0.0/16', PRIVATE],
    ['198.18.0.0/15', 'a reserved (benchmarking) address'],
    ['198.51.100.0/24', DOCUMENTATION],
    ['203.0.113.0/24', DOCUMENTATION],
    ['224.0.0.0/4', 'a multicast address'],
    ['255.255.255.255/32', 'the broadcast address'],
    ['240.0.0.0/4', 'a reserved address'],
  ] as const
).map(([cidr, problem]) => {
  const [base = '', bits] = cidr.split('/')
  return { base: v4(base), bits: Number(bits), problem }
})

/** What is wrong with an IPv4 or IPv6 destination address, or undefined for an ordinary public one. */
export function addressProblem(ip: string, opts: AddressCheckOptions = {}): string | undefined {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip
  if (isIPv4(bare)) return v4Problem(v4(bare), opts)
  const zoneless = bare.split('%')[0] ?? ''
  if (isIPv6(zoneless)) return v6Problem(v6(zoneless), opts)
  return 'not an IP address'
}

function v4Problem(n: number, opts: AddressCheckOptions): string | undefined {
  for (const { base, bits, problem } of V4_RANGES) {
    if (!inV4(n, base, bits)) continue
    if (problem === DOCUMENTATION && opts.allowDocumentation) return undefined
    return problem
  }
  return undefined
}

/** The eight 16-bit groups of an IPv6 address. */
type Groups = readonly number[]

function v6Problem(g: Groups, opts: AddressCheckOptions): string | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, , , , g6 = 0, g7 = 0] = g
  /** Whether the address starts with these groups. */
  const starts = (...prefix: number[]): boolean => prefix.every((v, i) => (g[i] ?? 0) === v)
  const tail = ((g6 << 16) | g7) >>> 0
  if (starts(0, 0, 0, 0, 0, 0)) {
    if (g6 === 0 && g7 === 0) return 'the unspecified address'
    if (g6 === 0 && g7 === 1) return 'a loopback address'
    return 'a deprecated IPv4-compatible address'
  }
  // ::ffff:a.b.c.d (IPv4-mapped): a dual-stack socket reaches the embedded IPv4 address itself.
  if (starts(0, 0, 0, 0, 0, 0xffff)) return embedded('an IPv4-mapped form of', tail, opts)
  // ::ffff:0:a.b.c.d (SIIT IPv4-translated).
  if (starts(0, 0, 0, 0, 0xffff, 0)) return embedded('an IPv4-translated form of', tail, opts)
  // 64:ff9b::/96, the well-known NAT64 prefix: reaches the embedded IPv4 address through the NAT64 gateway.
  if (starts(0x64, 0xff9b, 0, 0, 0, 0)) return embedded('a NAT64 form of', tail, opts)
  if (starts(0x64, 0xff9b, 1)) return 'a local-use NAT64 address'
  if (starts(0x100, 0, 0, 0)) return 'a reserved (discard-only) address'
  // 2002::/16, 6to4: the next 32 bits are the IPv4 address of the tunnel's end.
  if (g0 === 0x2002) return embedded('a 6to4 form of', ((g1 << 16) | g2) >>> 0, opts)
  if (g0 === 0x2001) {
    // Teredo, 2001:0::/32: the client's IPv4 address is the last 32 bits, inverted.
    if (g1 === 0) return embedded('a Teredo form of', ~tail >>> 0, opts)
    if (g1 === 0xdb8) return opts.allowDocumentation ? undefined : DOCUMENTATION
    if (g1 === 2 && g2 === 0) return 'a reserved (benchmarking) address'
    if (g1 < 0x200) return 'a reserved (IETF protocol) address'
  }
  if (g0 === 0x3fff && g1 < 0x1000) return opts.allowDocumentation ? undefined : DOCUMENTATION
  if (starts(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)) return METADATA
  if ((g0 & 0xfe00) === 0xfc00) return 'a private (unique local) address'
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address'
  if ((g0 & 0xffc0) === 0xfec0) return 'a site-local address'
  if ((g0 & 0xff00) === 0xff00) return 'a multicast address'
  // Everything outside 2000::/3 is unassigned or reserved.
  if ((g0 & 0xe000) !== 0x2000) return 'a reserved address'
  return undefined
}

function embedded(form: string, inner: number, opts: AddressCheckOptions): string | undefined {
  const problem = v4Problem(inner, opts)
  return problem === undefined ? undefined : `${form} ${problem}`
}

function v4(ip: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number)
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0
}

function inV4(n: number, base: number, bits: number): boolean {
  if (bits === 0) return true
  const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0
  return (n & mask) >>> 0 === (base & mask) >>> 0
}

/** Parses an address `isIPv6` accepted (`::` compression and a dotted IPv4 tail included). */
function v6(ip: string): Groups {
  let text = ip.toLowerCase()
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted?.[1]) {
    const n = v4(dotted[1])
    text = `${text.slice(0, -dotted[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const left = head ? head.split(':') : []
  const right = rest ? rest.split(':') : []
  const fill = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...fill, ...right].map((h) => parseInt(h, 16))
}

/** An IP address rather than a name: IPv4, IPv6 (bracketed or not), or a numeric form resolvers read as IPv4. */
export function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIPv4(bare) || isIPv6(bare.split('%')[0] ?? '')) return true
  // inet_aton spellings that getaddrinfo would accept as addresses: 127.1, 2130706433, 0x7f.0.0.1, 017.0.0.1.
  return /^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}\.?$/i.test(bare)
}
