import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { promises as dns } from 'node:dns'
import net from 'node:net'
import { asLookupFunction, NameCache } from '../../../src/main/network/name-cache'
import { parseProxyUrl } from '../../../src/main/network/upstream-proxy'
import { burstDroppingResolver, pause, RESOLVER_RETRY_MS } from './burst-resolver'
import { closedAfterTest, connectVia, readText, startEcho, startUpstream } from './proxy-helpers'
import { custom, startProxy } from './proxy-fixture'

/**
 * The policy proxy's name lookups under a burst of connections (name-cache.ts): a package manager's many
 * CONNECTs to one registry share one lookup, so a resolver that drops parallel queries (as the one this
 * was found on did: its 5 s retry held npm ci's downloads back in waves) costs no stall, while every
 * request is still decided and its addresses checked.
 */

const echo = closedAfterTest(startEcho)
const proxy = closedAfterTest(startProxy)
const upstreamProxy = closedAfterTest(startUpstream)

/** A CONNECT through the proxy that says "hi" to the echo target; resolves to what came back. */
async function tunnelHello(socketPath: string, target: string): Promise<string> {
  const a = await connectVia(socketPath, target)
  if (a.status !== 200) return `${a.status} ${a.body}`
  a.socket.end('hi')
  return readText(a.socket)
}

describe('the policy proxy: a burst of new connections to one name', () => {
  it('32 parallel CONNECTs share one lookup: no resolver stall, every tunnel works', async () => {
    const target = await echo()
    const name = 'registry.burst.test'
    const resolver = burstDroppingResolver({ [name]: ['127.0.0.1'] })
    const f = await proxy({
      phase: custom([`${name}:${target.port}`]),
      trusted: ['127.0.0.1'],
      lookup: resolver.lookup,
    })
    const started = Date.now()
    const answers = await Promise.all(
      Array.from({ length: 32 }, () => tunnelHello(f.socketPath, `${name}:${target.port}`)),
    )
    const elapsed = Date.now() - started
    expect(answers).toEqual(new Array<string>(32).fill('hibye'))
    expect(resolver.calls).toEqual([name])
    // A stall is the resolver's retry (5 s); the bound is about that, not about speed.
    expect(elapsed).toBeLessThan(RESOLVER_RETRY_MS / 2)
    expect(f.proxy.stats).toEqual({ allowed: 32, blocked: 0 })
  }, 20_000)

  it('a kept answer is still decided and checked on every request', async () => {
    const target = await echo()
    const resolver = burstDroppingResolver({
      'open.burst.test': ['127.0.0.1'],
      'private.burst.test': ['10.1.2.3'],
    })
    const f = await proxy({
      phase: custom([`open.burst.test:${target.port}`, `private.burst.test:${target.port}`]),
      trusted: ['127.0.0.1'],
      lookup: resolver.lookup,
    })
    const open = `open.burst.test:${target.port}`
    expect(await tunnelHello(f.socketPath, open)).toBe('hibye')
    for (let i = 0; i < 2; i++) {
      const refused = await connectVia(f.socketPath, `private.burst.test:${target.port}`)
      expect(refused.status).toBe(403)
      expect(refused.body).toContain('resolves to a private address (10.1.2.3)')
    }
    f.setPolicy({ hosts: [] })
    const blocked = await connectVia(f.socketPath, open)
    expect(blocked.body).toBe(
      'codex-sys: blocked open.burst.test:' + target.port + " — not in this task's allowlist\n",
    )
    expect(resolver.calls).toEqual(['open.burst.test', 'private.burst.test'])
    expect(f.proxy.stats).toEqual({ allowed: 1, blocked: 3 })
    expect(f.dials).toEqual([`127.0.0.1:${target.port}`])
  })

  it('asks again once the answer is older than nameTtlMs, and never keeps a failure', async () => {
    const target = await echo()
    const names: Record<string, string[]> = { 'kept.burst.test': ['127.0.0.1'] }
    const resolver = burstDroppingResolver(names)
    const f = await proxy({
      phase: custom([`kept.burst.test:${target.port}`, `late.burst.test:${target.port}`]),
      trusted: ['127.0.0.1'],
      lookup: resolver.lookup,
      limits: { nameTtlMs: 200 },
    })
    const kept = `kept.burst.test:${target.port}`
    expect(await tunnelHello(f.socketPath, kept)).toBe('hibye')
    expect(await tunnelHello(f.socketPath, kept)).toBe('hibye')
    await pause(250)
    expect(await tunnelHello(f.socketPath, kept)).toBe('hibye')
    const late = `late.burst.test:${target.port}`
    expect(await tunnelHello(f.socketPath, late)).toMatch(/^502 .*does not resolve \(ENOTFOUND\)/)
    names['late.burst.test'] = ['127.0.0.1']
    expect(await tunnelHello(f.socketPath, late)).toBe('hibye')
    expect(resolver.calls).toEqual([
      'kept.burst.test',
      'kept.burst.test',
      'late.burst.test',
      'late.burst.test',
    ])
  })

  it('a rebinding (the name turned private) is refused once its kept answer expires, never dialled', async () => {
    const target = await echo()
    const names: Record<string, string[]> = { 'rebind.burst.test': ['127.0.0.1'] }
    const f = await proxy({
      phase: custom([`rebind.burst.test:${target.port}`]),
      trusted: ['127.0.0.1'],
      lookup: burstDroppingResolver(names).lookup,
      limits: { nameTtlMs: 200 },
    })
    const rebind = `rebind.burst.test:${target.port}`
    expect(await tunnelHello(f.socketPath, rebind)).toBe('hibye')
    names['rebind.burst.test'] = ['169.254.169.254']
    // Within the TTL: the kept, checked address, never the new one.
    expect(await tunnelHello(f.socketPath, rebind)).toBe('hibye')
    await pause(250)
    expect(await tunnelHello(f.socketPath, rebind)).toMatch(
      /^403 .*resolves to a link-local address \(cloud metadata service\) \(169\.254\.169\.254\)/,
    )
    expect(f.dials).toEqual([`127.0.0.1:${target.port}`, `127.0.0.1:${target.port}`])
    expect(f.blocks.map((b) => b.rule)).toEqual([
      'resolves to a link-local address (cloud metadata service) (169.254.169.254)',
    ])
  })
})

describe('NameCache', () => {
  it('remembers at most maxNames names (the oldest answer goes first) and hands out copies', async () => {
    const calls: string[] = []
    const cache = new NameCache(
      async (host) => {
        calls.push(host)
        return [{ address: '192.0.2.1', family: 4 }]
      },
      { maxNames: 2 },
    )
    for (const host of ['a.test', 'b.test', 'c.test', 'b.test', 'a.test']) await cache.resolve(host)
    expect(calls).toEqual(['a.test', 'b.test', 'c.test', 'a.test'])
    const first = await cache.resolve('a.test')
    first[0]!.address = '10.0.0.1'
    expect(await cache.resolve('a.test')).toEqual([{ address: '192.0.2.1', family: 4 }])
  })
})

describe('the host’s own proxy dialled by name', () => {
  /** Connects to 127.0.0.1:port by the name `host`, resolved by `lookup`; resolves once connected. */
  const connectByName = (host: string, port: number, lookup: net.LookupFunction): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.connect({ host, port, lookup }, () => {
        s.destroy()
        resolve()
      })
      s.on('error', reject)
    })

  it('a burst of connections to it shares one lookup (asLookupFunction), whichever family Node asks for', async () => {
    const target = await echo()
    const resolver = burstDroppingResolver({ 'proxy.corp.test': ['127.0.0.1'] })
    const lookup = asLookupFunction(new NameCache(resolver.lookup))
    const started = Date.now()
    await Promise.all(Array.from({ length: 32 }, () => connectByName('proxy.corp.test', target.port, lookup)))
    expect(Date.now() - started).toBeLessThan(RESOLVER_RETRY_MS / 2)
    expect(resolver.calls).toEqual(['proxy.corp.test'])
    const v6 = await new Promise<string>((resolve) =>
      lookup('proxy.corp.test', { family: 6 }, (err) => resolve(err?.code ?? 'found')),
    )
    expect(v6).toBe('ENOTFOUND')
  })

  it('the policy proxy reaches an upstream given by name (localhost): one lookup for a burst of tunnels', async () => {
    const lookups = vi.spyOn(dns, 'lookup')
    onTestFinished(() => lookups.mockRestore())
    const target = await echo()
    const name = 'far.burst.test'
    const up = await upstreamProxy({ names: [name] })
    const f = await proxy({
      phase: custom([`${name}:${target.port}`]),
      upstream: parseProxyUrl(`http://localhost:${up.port}`),
    })
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => tunnelHello(f.socketPath, `${name}:${target.port}`)),
    )
    expect(answers).toEqual(new Array<string>(8).fill('hibye'))
    expect(up.connects.map((c) => c.target)).toEqual(new Array<string>(8).fill(`${name}:${target.port}`))
    expect(lookups.mock.calls.map(([host]) => host)).toEqual(['localhost'])
  })
})
