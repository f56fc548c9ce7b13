import { describe, expect, it } from 'vitest'
import { addressProblem, isIpLiteral } from '../../../src/main/network/addresses'

// Pure classification: nothing here opens a connection to any of these addresses.
const PRIVATE = 'a private address'
const LOOPBACK = 'a loopback address'
const LINK_LOCAL = 'a link-local address'
const METADATA = 'a link-local address (cloud metadata service)'
const DOC = 'a documentation address'
const MULTICAST = 'a multicast address'
const RESERVED = 'a reserved address'

const TABLE: ReadonlyArray<readonly [string, string | undefined]> = [
  // IPv4: public
  ['8.8.8.8', undefined],
  ['1.1.1.1', undefined],
  ['104.16.0.35', undefined],
  ['151.101.1.1', undefined],
  ['223.255.255.255', undefined],
  ['100.63.255.255', undefined],
  ['100.128.0.0', undefined],
  ['172.15.255.255', undefined],
  ['172.32.0.0', undefined],
  ['192.167.255.255', undefined],
  ['192.169.0.0', undefined],
  ['198.17.255.255', undefined],
  ['198.20.0.0', undefined],
  ['169.253.255.255', undefined],
  ['11.0.0.1', undefined],
  ['126.255.255.255', undefined],
  ['128.0.0.1', undefined],
  // IPv4: refused
  ['0.0.0.0', 'the unspecified address'],
  ['0.1.2.3', 'a "this network" address'],
  ['10.0.0.5', PRIVATE],
  ['10.255.255.255', PRIVATE],
  ['172.16.0.1', PRIVATE],
  ['172.31.255.254', PRIVATE],
  ['192.168.1.1', PRIVATE],
  ['127.0.0.1', LOOPBACK],
  ['127.255.255.254', LOOPBACK],
  ['169.254.169.254', METADATA],
  ['169.254.170.2', METADATA],
  ['169.254.1.1', LINK_LOCAL],
  ['100.64.0.1', 'a shared (CGNAT) address'],
  ['100.127.255.255', 'a shared (CGNAT) address'],
  ['192.0.0.8', 'a reserved (IETF protocol) address'],
  ['192.0.0.170', 'a reserved (IETF protocol) address'],
  ['192.0.2.1', DOC],
  ['198.51.100.7', DOC],
  ['203.0.113.80', DOC],
  ['198.18.0.1', 'a reserved (benchmarking) address'],
  ['198.19.255.255', 'a reserved (benchmarking) address'],
  ['192.88.99.1', 'a reserved (6to4 relay) address'],
  ['224.0.0.1', MULTICAST],
  ['239.255.255.250', MULTICAST],
  ['240.0.0.1', RESERVED],
  ['254.1.2.3', RESERVED],
  ['255.255.255.255', 'the broadcast address'],
  // IPv6: public
  ['2606:4700:4700::1111', undefined],
  ['2001:4860:4860::8888', undefined],
  ['2a00:1450:4001:80b::200e', undefined],
  ['[2606:4700::6810:84e5]', undefined],
  // IPv6: refused
  ['::', 'the unspecified address'],
  ['::1', LOOPBACK],
  ['0:0:0:0:0:0:0:1', LOOPBACK],
  ['[::1]', LOOPBACK],
  ['::127.0.0.1', 'a deprecated IPv4-compatible address'],
  ['::8.8.8.8', 'a deprecated IPv4-compatible address'],
  ['::ffff:127.0.0.1', 'an IPv4-mapped form of a loopback address'],
  ['::ffff:7f00:1', 'an IPv4-mapped form of a loopback address'],
  ['::ffff:10.0.0.5', 'an IPv4-mapped form of a private address'],
  ['::ffff:169.254.169.254', `an IPv4-mapped form of ${METADATA}`],
  ['::ffff:0.0.0.0', 'an IPv4-mapped form of the unspecified address'],
  ['::ffff:8.8.8.8', undefined],
  ['::ffff:0:10.0.0.1', 'an IPv4-translated form of a private address'],
  ['64:ff9b::127.0.0.1', 'a NAT64 form of a loopback address'],
  ['64:ff9b::a9fe:a9fe', `a NAT64 form of ${METADATA}`],
  ['64:ff9b::c0a8:101', 'a NAT64 form of a private address'],
  ['64:ff9b::8.8.8.8', undefined],
  ['64:ff9b:1::1', 'a local-use NAT64 address'],
  ['100::1', 'a reserved (discard-only) address'],
  ['2002:7f00:1::1', 'a 6to4 form of a loopback address'],
  ['2002:0a00:0005::', 'a 6to4 form of a private address'],
  ['2002:c0a8:0101::1', 'a 6to4 form of a private address'],
  ['2002:0808:0808::1', undefined],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'a Teredo form of a loopback address'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', undefined],
  ['2001:db8::1', DOC],
  ['2001:db8:ffff::', DOC],
  ['3fff::1', DOC],
  ['2001:2::1', 'a reserved (benchmarking) address'],
  ['2001:10::1', 'a reserved (IETF protocol) address'],
  ['fc00::1', 'a private (unique local) address'],
  ['fd12:3456:789a::1', 'a private (unique local) address'],
  ['fd00:ec2::254', METADATA],
  ['fe80::1', LINK_LOCAL],
  ['fe80::1%eth0', LINK_LOCAL],
  ['febf::1', LINK_LOCAL],
  ['fec0::1', 'a site-local address'],
  ['ff02::1', MULTICAST],
  ['ff05::1:3', MULTICAST],
  ['4000::1', RESERVED],
  ['::2', 'a deprecated IPv4-compatible address'],
  // Not addresses
  ['localhost', 'not an IP address'],
  ['127.1', 'not an IP address'],
  ['2130706433', 'not an IP address'],
  ['', 'not an IP address'],
]

describe('addressProblem', () => {
  it('has a table of at least 60 rows', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(60)
  })

  it.each(TABLE)('%s → %s', (ip, problem) => {
    expect(addressProblem(ip)).toBe(problem)
  })

  it('lets documentation ranges pass only when asked to', () => {
    for (const ip of ['203.0.113.80', '192.0.2.1', '198.51.100.7', '2001:db8::1', '3fff::1']) {
      expect(addressProblem(ip, { allowDocumentation: true })).toBeUndefined()
    }
    expect(addressProblem('::ffff:203.0.113.80', { allowDocumentation: true })).toBeUndefined()
    expect(addressProblem('10.0.0.1', { allowDocumentation: true })).toBe(PRIVATE)
    expect(addressProblem('::ffff:203.0.113.80')).toBe(`an IPv4-mapped form of ${DOC}`)
  })
})

describe('isIpLiteral', () => {
  it.each([
    ['1.2.3.4', true],
    ['::1', true],
    ['[::1]', true],
    ['fe80::1%eth0', true],
    ['127.1', true],
    ['2130706433', true],
    ['0x7f.0.0.1', true],
    ['017.0.0.1', true],
    ['registry.npmjs.org', false],
    ['1.example.com', false],
    ['0xdeadbeef.com', false],
  ] as const)('%s → %s', (host, literal) => {
    expect(isIpLiteral(host)).toBe(literal)
  })
})
