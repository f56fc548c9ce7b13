import { promises as dns } from 'node:dns'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addressProblem } from '../../src/main/network/addresses'
import { PolicyProxy, type ProxyBlock } from '../../src/main/network/policy-proxy'
import { resolvePolicy } from '../../src/main/network/policy'
import { REGISTRY_HOSTS } from '../../src/shared/network'
import { connectVia, run, tcpRelay, tempDir } from '../unit/network/proxy-helpers'

// The policy proxy against the real package registries (the only public hosts this suite may reach),
// with the host's resolver and the host's own proxy settings. Refusals are decided before any lookup.

describe('the policy proxy on the real network (registries only)', () => {
  const blocks: ProxyBlock[] = []
  let proxy: PolicyProxy
  let relay: { port: number; close: () => Promise<void> }
  let remove: () => Promise<void>

  beforeAll(async () => {
    const tmp = await tempDir()
    remove = tmp.remove
    const registries = REGISTRY_HOSTS.filter((h) => h !== 'registry.yarnpkg.com')
    proxy = await PolicyProxy.listen({
      socketPath: join(tmp.dir, 'proxy.sock'),
      phase: 'setup',
      policy: () =>
        resolvePolicy({ mode: 'registries', hosts: [], readOnly: false }, { registries, extraHosts: [] }),
      onBlocked: (b) => blocks.push(b),
    })
    relay = await tcpRelay(proxy.socketPath)
  })
  afterAll(async () => {
    await relay?.close()
    await proxy?.close()
    await remove?.()
  })

  const curl = (args: string[]): Promise<{ stdout: string }> =>
    run('curl', [
      '-sS',
      '--max-time',
      '60',
      '--noproxy',
      '',
      '--proxy',
      `http://127.0.0.1:${relay.port}`,
      ...args,
    ])

  it('fetches https://registry.npmjs.org/is-number through a CONNECT tunnel', async () => {
    const { stdout } = await curl(['-w', '\n%{http_code}', 'https://registry.npmjs.org/is-number'])
    const status = stdout.slice(stdout.lastIndexOf('\n') + 1)
    expect(status).toBe('200')
    expect(JSON.parse(stdout.slice(0, stdout.lastIndexOf('\n'))).name).toBe('is-number')
  })

  it("fetches Debian's Release file over plain HTTP", async () => {
    const { stdout } = await curl([
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://deb.debian.org/debian/dists/bookworm/Release',
    ])
    expect(stdout).toBe('200')
  })

  it('refuses registry.npmjs.org:22 and a registry removed from the list, with block events', async () => {
    const port22 = await connectVia(proxy.socketPath, 'registry.npmjs.org:22')
    expect(port22.status).toBe(403)
    expect(port22.body).toBe(
      'codex-sys: blocked registry.npmjs.org:22 — port 22 is not allowed for registry.npmjs.org (80 and 443 are)\n',
    )
    const yarn = await connectVia(proxy.socketPath, 'registry.yarnpkg.com:443')
    expect(yarn.body).toBe("codex-sys: blocked registry.yarnpkg.com:443 — not in this task's allowlist\n")
    expect(blocks.map((b) => `${b.host}:${b.port}`)).toEqual([
      'registry.npmjs.org:22',
      'registry.yarnpkg.com:443',
    ])
  })

  it('says which address it refused when documentation ranges are not allowed and DNS answers with one', async () => {
    const answers = await dns.lookup('registry.npmjs.org', { all: true })
    const doc = answers.find((a) => addressProblem(a.address) === 'a documentation address')
    if (!doc) return // only on hosts whose resolver answers with a documentation address (an intercepting proxy)
    const tmp = await tempDir()
    const strict = await PolicyProxy.listen({
      socketPath: join(tmp.dir, 'strict.sock'),
      phase: 'setup',
      policy: () =>
        resolvePolicy(
          { mode: 'registries', hosts: [], readOnly: false },
          { registries: REGISTRY_HOSTS, extraHosts: [] },
        ),
      onBlocked: () => undefined,
      allowDocumentationAddresses: false,
    })
    try {
      const a = await connectVia(strict.socketPath, 'registry.npmjs.org:443')
      expect(a.status).toBe(403)
      expect(a.body).toContain(`resolves to a documentation address (${doc.address})`)
    } finally {
      await strict.close()
      await tmp.remove()
    }
  })
})
