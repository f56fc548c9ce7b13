import net from 'node:net'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  bypassesProxy,
  connectThroughUpstream,
  hostProxySettings,
  parseNoProxy,
  parseProxyUrl,
  upstreamFor,
  UpstreamError,
} from '../../../src/main/network/upstream-proxy'
import { closedAfterTest, closeServer, listen, readText, startUpstream } from './proxy-helpers'

describe('parseProxyUrl', () => {
  it('reads scheme, host, port and credentials, and never shows the credentials', () => {
    const p = parseProxyUrl('http://alice:s%3Acret@proxy.corp.example:3128')
    expect(p).toMatchObject({ url: 'http://proxy.corp.example:3128', host: 'proxy.corp.example', port: 3128 })
    expect(p.authorization).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`)
    const shown = `${JSON.stringify(p)} ${inspect(p)} ${String(Object.keys(p))}`
    expect(shown).not.toContain('alice')
    expect(shown).not.toContain(Buffer.from('alice:s:cret').toString('base64'))
  })

  it('defaults: http scheme, ports 80 and 443, IPv6 hosts', () => {
    expect(parseProxyUrl('proxy.example:8080')).toMatchObject({ protocol: 'http:', port: 8080 })
    expect(parseProxyUrl('http://proxy.example')).toMatchObject({ port: 80 })
    expect(parseProxyUrl('https://proxy.example')).toMatchObject({ protocol: 'https:', port: 443 })
    expect(parseProxyUrl('http://[::1]:3128')).toMatchObject({ host: '::1', url: 'http://[::1]:3128' })
    expect(parseProxyUrl('http://proxy.example:3128').authorization).toBeUndefined()
  })

  it('refuses other schemes without echoing credentials', () => {
    expect(() => parseProxyUrl('socks5://bob:hunter2@proxy:1080')).toThrow(/socks5 proxies are not supported/)
    try {
      parseProxyUrl('socks5://bob:hunter2@proxy:1080')
    } catch (err) {
      expect(String(err)).not.toContain('hunter2')
    }
  })
})

describe('hostProxySettings / upstreamFor', () => {
  it('HTTPS_PROXY for secure, HTTP_PROXY for plain, lowercase first, ALL_PROXY as fallback', () => {
    const env = {
      HTTPS_PROXY: 'http://upper-s:1',
      https_proxy: 'http://lower-s:2',
      HTTP_PROXY: 'http://upper-p:3',
      ALL_PROXY: 'http://all:4',
    }
    expect(upstreamFor('registry.npmjs.org', 443, true, env)?.host).toBe('lower-s')
    expect(upstreamFor('deb.debian.org', 80, false, env)?.host).toBe('upper-p')
    expect(upstreamFor('deb.debian.org', 80, false, { ALL_PROXY: 'http://all:4' })?.host).toBe('all')
    expect(upstreamFor('deb.debian.org', 443, true, { all_proxy: 'http://all:4' })?.host).toBe('all')
    expect(upstreamFor('deb.debian.org', 443, true, {})).toBeNull()
    expect(upstreamFor('deb.debian.org', 443, true, { HTTPS_PROXY: '  ' })).toBeNull()
  })

  it('NO_PROXY exempts destinations', () => {
    const env = {
      HTTPS_PROXY: 'http://p:1',
      NO_PROXY: 'internal.example, .corp.example,10.0.0.0/8 *.svc:8443',
    }
    const s = hostProxySettings(env)
    expect(s.upstreamFor('internal.example', 443, true)).toBeNull()
    expect(s.upstreamFor('a.internal.example', 443, true)).toBeNull()
    expect(s.upstreamFor('corp.example', 443, true)).toBeNull()
    expect(s.upstreamFor('x.corp.example', 443, true)).toBeNull()
    expect(s.upstreamFor('notinternal.example', 443, true)?.host).toBe('p')
    expect(s.upstreamFor('10.1.2.3', 443, true)).toBeNull()
    expect(s.upstreamFor('11.1.2.3', 443, true)?.host).toBe('p')
    expect(s.upstreamFor('a.svc', 8443, true)).toBeNull()
    expect(s.upstreamFor('a.svc', 443, true)?.host).toBe('p')
    expect(
      hostProxySettings({ HTTPS_PROXY: 'http://p:1', no_proxy: '*' }).upstreamFor('x.org', 443, true),
    ).toBeNull()
  })

  it('records unusable settings as warnings', () => {
    const s = hostProxySettings({ HTTPS_PROXY: 'socks5://p:1080', HTTP_PROXY: 'http://ok:3128' })
    expect(s.https).toBeNull()
    expect(s.http?.host).toBe('ok')
    expect(s.warnings).toEqual([
      'https_proxy: socks5 proxies are not supported (use an http:// or https:// proxy)',
    ])
  })
})

describe('parseNoProxy / bypassesProxy', () => {
  it.each([
    ['example.com', 'example.com', 443, true],
    ['example.com', 'www.example.com', 443, true],
    ['example.com', 'badexample.com', 443, false],
    ['.example.com', 'example.com', 443, true],
    ['*.example.com', 'a.example.com', 80, true],
    ['example.com:8080', 'example.com', 8080, true],
    ['example.com:8080', 'example.com', 443, false],
    ['EXAMPLE.com.', 'example.COM.', 443, true],
    ['192.168.0.0/16', '192.168.4.5', 443, true],
    ['192.168.0.0/16', '192.169.0.1', 443, false],
    ['192.168.0.0/16', 'host.192.168.example', 443, false],
    ['10.0.0.1', '10.0.0.1', 443, true],
    ['::1', '::1', 443, true],
    ['[::1]:8080', '[::1]', 8080, true],
    ['fd00::/8', 'fd12::1', 443, true],
    ['*', 'anything', 1, true],
    ['', 'anything', 1, false],
  ] as const)('%s vs %s:%d → %s', (rules, host, port, bypass) => {
    expect(bypassesProxy(parseNoProxy(rules), host, port)).toBe(bypass)
  })
})

describe('connectThroughUpstream', () => {
  const upstreamProxy = closedAfterTest(startUpstream)

  it('tunnels with CONNECT and basic credentials, keeping bytes sent right after the answer', async () => {
    const upstream = await upstreamProxy({ greeting: 'early-bytes|' })
    const echo = net.createServer((s) => s.pipe(s))
    const port = await listen(echo)
    const up = parseProxyUrl(`http://u:p%40ss@127.0.0.1:${upstream.port}`)
    const socket = await connectThroughUpstream(up, '127.0.0.1', port)
    socket.write('ping')
    const got = await readText(socket, 'early-bytes|ping'.length)
    expect(got).toBe('early-bytes|ping')
    expect(upstream.connects).toEqual([{ target: `127.0.0.1:${port}`, auth: `Basic ${b64('u:p@ss')}` }])
    socket.destroy()
    echo.close()
  })

  it('rejects with the status when the upstream refuses (407), without credentials in the message', async () => {
    const upstream = await upstreamProxy({ requireAuth: 'Basic nope' })
    const up = parseProxyUrl(`http://user:secretpw@127.0.0.1:${upstream.port}`)
    const err = await connectThroughUpstream(up, '203.0.113.9', 443).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UpstreamError)
    expect((err as UpstreamError).status).toBe(407)
    expect((err as Error).message).toBe(
      `the host's proxy http://127.0.0.1:${upstream.port} answered 407 Proxy Authentication Required`,
    )
    expect((err as Error).message).not.toContain('secretpw')
  })

  it('times out on an upstream that never answers', async () => {
    const upstream = await upstreamProxy({ delayMs: 5_000 })
    const up = parseProxyUrl(`http://127.0.0.1:${upstream.port}`)
    const err = await connectThroughUpstream(up, 'x.example', 443, { timeoutMs: 200 }).catch(
      (e: unknown) => e,
    )
    expect((err as UpstreamError).code).toBe('ETIMEDOUT')
  })

  it('says when the upstream cannot be reached', async () => {
    const closed = net.createServer()
    const port = await listen(closed)
    await closeServer(closed)
    const err = await connectThroughUpstream(
      parseProxyUrl(`http://127.0.0.1:${port}`),
      'x.example',
      443,
    ).catch((e: unknown) => e)
    expect((err as Error).message).toBe(
      `could not reach the host's proxy http://127.0.0.1:${port} (ECONNREFUSED)`,
    )
  })
})

function b64(s: string): string {
  return Buffer.from(s).toString('base64')
}
