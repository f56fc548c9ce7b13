import { lstat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { PolicyProxy } from '../../../src/main/network/policy-proxy'
import { resolvePolicy } from '../../../src/main/network/policy'
import type { PhaseNetwork } from '../../../src/shared/network'
import {
  closedAfterTest,
  connectVia,
  rawRequest,
  readText,
  startEcho,
  startUpstream,
  tempDir,
  waitFor,
} from './proxy-helpers'
import { custom, startProxy } from './proxy-fixture'

const echo = closedAfterTest(startEcho)
const proxy = closedAfterTest(startProxy)
const upstreamProxy = closedAfterTest(startUpstream)

/** Proxy options letting `name` (resolving to 127.0.0.1, our own servers' address) through to `port`. */
function reaching(
  name: string,
  port: number,
): { phase: PhaseNetwork; names: Record<string, string[]>; trusted: string[] } {
  return { phase: custom([`${name}:${port}`]), names: { [name]: ['127.0.0.1'] }, trusted: ['127.0.0.1'] }
}

describe('the policy proxy: socket', () => {
  it('listens on a 0666 unix socket, replacing a stale file', async () => {
    const { dir, remove } = await tempDir()
    onTestFinished(remove)
    const socketPath = join(dir, 'proxy.sock')
    await writeFile(socketPath, 'stale')
    const p = await PolicyProxy.listen({
      socketPath,
      phase: 'agent',
      policy: () => resolvePolicy(custom([]), { registries: [], extraHosts: [] }),
      onBlocked: () => undefined,
    })
    const st = await lstat(socketPath)
    expect(st.isSocket()).toBe(true)
    expect(st.mode & 0o777).toBe(0o666)
    await p.close()
    await expect(lstat(socketPath)).rejects.toThrow(/ENOENT/)
  })
})

describe('the policy proxy: CONNECT', () => {
  it('tunnels an allowed name to the checked address, with early bytes and half-close', async () => {
    const target = await echo()
    const f = await proxy(reaching('echo.example.com', target.port))
    const a = await connectVia(f.socketPath, `echo.example.com:${target.port}`, 'early|')
    expect(a.head).toBe('HTTP/1.1 200 Connection established')
    a.socket.write('hello')
    a.socket.end()
    expect(await readText(a.socket)).toBe('early|hellobye')
    expect(f.dials).toEqual([`127.0.0.1:${target.port}`])
    expect(f.proxy.stats).toEqual({ allowed: 1, blocked: 0 })
    expect(f.blocks).toEqual([])
  })

  it('refuses a name not in the list, with a 403 body and a block event', async () => {
    const target = await echo()
    const f = await proxy({
      phase: custom(['registry.npmjs.org']),
      names: { 'registry.example.org': ['127.0.0.1'] },
      trusted: ['127.0.0.1'],
    })
    const a = await connectVia(f.socketPath, 'registry.example.org:443')
    expect(a.status).toBe(403)
    expect(a.head).toContain('Content-Type: text/plain; charset=utf-8')
    expect(a.body).toBe("codex-sys: blocked registry.example.org:443 — not in this task's allowlist\n")
    expect(f.blocks).toEqual([
      {
        phase: 'setup',
        host: 'registry.example.org',
        port: 443,
        method: 'CONNECT',
        rule: "not in this task's allowlist",
        count: 1,
      },
    ])
    expect(f.dials).toEqual([])
    expect(target.connections).toBe(0)
    expect(f.proxy.stats).toEqual({ allowed: 0, blocked: 1 })
  })

  it('refuses a port the pattern does not allow', async () => {
    const f = await proxy({
      phase: custom(['registry.npmjs.org']),
      names: { 'registry.npmjs.org': ['127.0.0.1'] },
    })
    const a = await connectVia(f.socketPath, 'Registry.NPMJS.org.:22')
    expect(a.status).toBe(403)
    expect(a.body).toBe(
      'codex-sys: blocked registry.npmjs.org:22 — port 22 is not allowed for registry.npmjs.org (80 and 443 are)\n',
    )
    expect(f.blocks[0]).toMatchObject({ host: 'registry.npmjs.org', port: 22, method: 'CONNECT' })
  })

  it('refuses address literals', async () => {
    const f = await proxy({ phase: custom(['registry.npmjs.org']) })
    for (const t of ['127.0.0.1:443', '[::1]:443', '2130706433:443']) {
      const a = await connectVia(f.socketPath, t)
      expect(a.status).toBe(403)
      expect(a.body).toMatch(/— an address, not a name\n$/)
    }
    expect(f.dials).toEqual([])
  })

  // DNS rebinding: an allowed name whose resolver answer points inside. The target listens on 127.0.0.1
  // and must see no connection; the other addresses are never dialled (the test dialler would refuse).
  it.each([
    ['127.0.0.1', 'resolves to a loopback address (127.0.0.1)'],
    ['10.0.0.5', 'resolves to a private address (10.0.0.5)'],
    ['169.254.169.254', 'resolves to a link-local address (cloud metadata service) (169.254.169.254)'],
    ['::ffff:127.0.0.1', 'resolves to an IPv4-mapped form of a loopback address (::ffff:127.0.0.1)'],
    ['fd00:ec2::254', 'resolves to a link-local address (cloud metadata service) (fd00:ec2::254)'],
  ])('refuses an allowed name that resolves to %s', async (address, rule) => {
    const target = await echo()
    const name = 'registry.npmjs.org'
    const f = await proxy({ phase: custom([`${name}:${target.port}`]), names: { [name]: [address] } })
    const a = await connectVia(f.socketPath, `${name}:${target.port}`)
    expect(a.status).toBe(403)
    expect(a.body).toBe(`codex-sys: blocked ${name}:${target.port} — ${rule}\n`)
    expect(f.blocks).toEqual([
      { phase: 'setup', host: name, port: target.port, method: 'CONNECT', rule, count: 1 },
    ])
    expect(f.dials).toEqual([])
    await new Promise((r) => setTimeout(r, 50))
    expect(target.connections).toBe(0)
  })

  it('refuses a name when any of its addresses is bad, even next to a good one', async () => {
    const target = await echo()
    const f = await proxy({
      phase: custom([`mixed.example.com:${target.port}`]),
      names: { 'mixed.example.com': ['127.0.0.1', '10.0.0.5'] },
      trusted: ['127.0.0.1'],
    })
    const a = await connectVia(f.socketPath, `mixed.example.com:${target.port}`)
    expect(a.status).toBe(403)
    expect(a.body).toContain('resolves to a private address (10.0.0.5)')
    expect(target.connections).toBe(0)
  })

  it('answers 502 for a name that does not resolve, without a block event', async () => {
    const f = await proxy({ phase: custom(['nowhere.example.com']) })
    const a = await connectVia(f.socketPath, 'nowhere.example.com:443')
    expect(a.status).toBe(502)
    expect(a.body).toBe('codex-sys: nowhere.example.com does not resolve (ENOTFOUND)\n')
    expect(f.blocks).toEqual([])
  })

  it('answers 502 when the checked address refuses the connection', async () => {
    const closed = await echo()
    await closed.close()
    const f = await proxy(reaching('down.example.com', closed.port))
    const a = await connectVia(f.socketPath, `down.example.com:${closed.port}`)
    expect(a.status).toBe(502)
    expect(a.body).toBe(`codex-sys: could not connect to down.example.com:${closed.port} (ECONNREFUSED)\n`)
  })
})

describe('the policy proxy: malformed input', () => {
  it('answers 400 to garbage, a CONNECT without a port and a bad name, with no event', async () => {
    const f = await proxy({ phase: custom(['registry.npmjs.org']) })
    expect((await rawRequest(f.socketPath, 'HELLO THERE\r\n\r\n')).status).toBe(400)
    expect((await connectVia(f.socketPath, 'registry.npmjs.org')).status).toBe(400)
    expect((await connectVia(f.socketPath, 'a_b!c:443')).status).toBe(400)
    expect((await connectVia(f.socketPath, 'a..b.com:443')).status).toBe(400)
    expect((await connectVia(f.socketPath, 'registry.npmjs.org:99999')).status).toBe(400)
    expect(f.blocks).toEqual([])
  })

  it('answers 431 to headers over 16 KiB', async () => {
    const f = await proxy({ phase: custom(['registry.npmjs.org']) })
    const a = await rawRequest(
      f.socketPath,
      `CONNECT registry.npmjs.org:443 HTTP/1.1\r\nHost: registry.npmjs.org:443\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    )
    expect(a.status).toBe(431)
    expect(f.blocks).toEqual([])
  })
})

describe('the policy proxy: events, live policy, limits', () => {
  it('coalesces repeated refusals into one event with a count per window', async () => {
    const f = await proxy({ phase: custom(['registry.npmjs.org']), limits: { blockWindowMs: 300 } })
    for (let i = 0; i < 5; i++) await connectVia(f.socketPath, 'blocked.example.org:443')
    await connectVia(f.socketPath, 'blocked.example.org:8443')
    expect(f.blocks.map((b) => [b.port, b.count])).toEqual([
      [443, 1],
      [8443, 1],
    ])
    await waitFor(() => f.blocks.length === 3)
    expect(f.blocks[2]).toEqual({
      phase: 'setup',
      host: 'blocked.example.org',
      port: 443,
      method: 'CONNECT',
      rule: "not in this task's allowlist",
      count: 4,
    })
    expect(f.proxy.stats.blocked).toBe(6)
    // A new window starts with an immediate event again.
    await connectVia(f.socketPath, 'blocked.example.org:443')
    expect(f.blocks).toHaveLength(4)
  })

  it('sends the coalesced remainder on close', async () => {
    const f = await startProxy({ phase: custom([]) })
    for (let i = 0; i < 3; i++) await connectVia(f.socketPath, 'x.example.org:443')
    await f.close()
    expect(f.blocks.map((b) => b.count)).toEqual([1, 2])
  })

  it('applies a policy change to the next request', async () => {
    const target = await echo()
    const f = await proxy({
      phase: custom([]),
      names: { 'live.example.com': ['127.0.0.1'] },
      trusted: ['127.0.0.1'],
    })
    expect((await connectVia(f.socketPath, `live.example.com:${target.port}`)).status).toBe(403)
    f.setPolicy({ mode: 'custom', hosts: [`live.example.com:${target.port}`] })
    const open = await connectVia(f.socketPath, `live.example.com:${target.port}`)
    expect(open.status).toBe(200)
    open.socket.destroy()
    f.setPolicy({ mode: 'off' })
    const off = await connectVia(f.socketPath, `live.example.com:${target.port}`)
    expect(off.body).toBe(
      `codex-sys: blocked live.example.com:${target.port} — the network is off for this phase\n`,
    )
  })

  it('refuses connections over the limit with 503', async () => {
    const target = await echo()
    const f = await proxy({ ...reaching('e.example.com', target.port), limits: { maxConnections: 2 } })
    const held = [
      await connectVia(f.socketPath, `e.example.com:${target.port}`),
      await connectVia(f.socketPath, `e.example.com:${target.port}`),
    ]
    expect(held.map((h) => h.status)).toEqual([200, 200])
    expect((await connectVia(f.socketPath, `e.example.com:${target.port}`)).status).toBe(503)
    for (const h of held) h.socket.destroy()
  })

  it('closes a tunnel idle longer than the idle timeout', async () => {
    const target = await echo()
    const f = await proxy({ ...reaching('e.example.com', target.port), limits: { idleTimeoutMs: 200 } })
    const a = await connectVia(f.socketPath, `e.example.com:${target.port}`)
    const closed = new Promise((r) => a.socket.once('close', r))
    a.socket.resume()
    await closed
  })
})

describe('the policy proxy: pending() and close()', () => {
  it('lists a connection waiting on a slow upstream, then one whose target has not answered', async () => {
    const slow = await upstreamProxy({ delayMs: 600 })
    const target = await echo({ silent: true })
    const f = await proxy({
      ...reaching('slow.example.com', target.port),
      upstream: {
        url: `http://127.0.0.1:${slow.port}`,
        protocol: 'http:',
        host: '127.0.0.1',
        port: slow.port,
      },
    })
    const before = Date.now()
    const answer = connectVia(f.socketPath, `slow.example.com:${target.port}`)
    await waitFor(() => f.proxy.pending().length === 1)
    const [p] = f.proxy.pending()
    expect(p).toMatchObject({ host: 'slow.example.com', port: target.port, state: 'connecting' })
    expect(p?.since).toBeGreaterThanOrEqual(before - 5)
    const a = await answer
    expect(a.status).toBe(200)
    expect(f.proxy.pending()).toEqual([])
    a.socket.write('question?')
    await waitFor(() => f.proxy.pending().length === 1)
    expect(f.proxy.pending()[0]).toMatchObject({ host: 'slow.example.com', state: 'waiting' })
    a.socket.destroy()
  })

  it('close() ends every open tunnel and removes the socket', async () => {
    const target = await echo()
    const f = await startProxy(reaching('e.example.com', target.port))
    const tunnels = [
      await connectVia(f.socketPath, `e.example.com:${target.port}`),
      await connectVia(f.socketPath, `e.example.com:${target.port}`),
    ]
    const closed = tunnels.map((t) => new Promise((r) => t.socket.once('close', r)))
    for (const t of tunnels) t.socket.resume()
    await f.close()
    await Promise.all(closed)
    await expect(lstat(f.socketPath)).rejects.toThrow(/ENOENT/)
    await expect(
      new Promise((_, reject) => net.connect(f.socketPath).once('error', reject)),
    ).rejects.toThrow()
  })
})
