/**
 * The sandbox in `proxied` mode: loopback only, and a relay (codex-relay) to the host's unix sockets, here
 * fake servers that forward nothing. Shared setup: sandbox-network-setup.ts.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { appErrorOf } from '../support/files'
import { ECHO_CLIENT, expectEchoesIntact, fakeServer, netDir } from './sandbox-network-fakes'
import { bridgePeer, eventsDuring, FAILED, probe, usePeers } from './sandbox-network-peers'
import { newSandbox, sh, useDocker } from './sandbox-network-setup'

useDocker()
usePeers()

describe('proxied: loopback only, a relay to the host’s sockets', () => {
  let sandbox: Sandbox
  let dir: string
  let proxy: Awaited<ReturnType<typeof fakeServer>>
  let model: Awaited<ReturnType<typeof fakeServer>>

  beforeAll(async () => {
    dir = await netDir()
    proxy = await fakeServer(join(dir, 'proxy.sock'))
    model = await fakeServer(join(dir, 'model.sock'))
    sandbox = await newSandbox({ network: { kind: 'proxied', netDir: dir } })
    const started = Date.now()
    expect(await sandbox.startRelay({ require: ['proxy', 'model'] })).toEqual({ ports: [3128, 3129] })
    expect(Date.now() - started).toBeLessThan(5000)
  })
  afterAll(async () => {
    await sandbox?.remove()
    await proxy?.close()
    await model?.close()
  })

  it('readiness checks never reach the host', () => {
    expect(proxy.connections()).toBe(0)
    expect(model.connections()).toBe(0)
  })

  it('carries bytes both ways, intact, on many connections at once, with half-close', async () => {
    await expectEchoesIntact(sandbox)
  })

  it('sets HTTP(S)_PROXY and NO_PROXY, and ordinary clients use them: curl, Python, npm, pip, git', async () => {
    const env = await sh(sandbox, 'env | grep -i _proxy= | sort')
    expect(env.stdout).toContain('HTTP_PROXY=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('HTTPS_PROXY=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('http_proxy=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('https_proxy=http://127.0.0.1:3128\n')
    expect(env.stdout).toContain('NO_PROXY=localhost,127.0.0.1,::1\n')
    proxy.lines.length = 0
    const http = await sh(sandbox, 'curl -sS http://deb.debian.org/debian/')
    expect(http.stdout).toBe('blocked by the test proxy\n')
    const https = await sh(sandbox, 'curl -sS -o /dev/null https://registry.npmjs.org/is-number')
    expect(https.exitCode).not.toBe(0)
    expect(https.stderr).toMatch(/403/)
    await sh(
      sandbox,
      'python3 -c "import urllib.request; urllib.request.urlopen(\'http://deb.debian.org/x\')"',
    )
    await sh(sandbox, 'cd /tmp && npm view is-number version --fetch-retries=0', 120_000)
    await sh(
      sandbox,
      'python3 -m pip download --no-deps --retries 0 -d /tmp/p --index-url https://deb.debian.org/simple/ nothing',
    )
    await sh(sandbox, 'git ls-remote https://deb.debian.org/debian/ 2>&1')
    expect(proxy.lines).toContain('GET http://deb.debian.org/debian/ HTTP/1.1')
    expect(proxy.lines).toContain('CONNECT registry.npmjs.org:443 HTTP/1.1')
    expect(proxy.lines).toContain('GET http://deb.debian.org/x HTTP/1.1')
    const connects = proxy.lines.filter((l) => l.startsWith('CONNECT '))
    // curl and npm to the npm registry; pip and git to deb.debian.org.
    expect(
      connects.filter((l) => l.startsWith('CONNECT registry.npmjs.org:443')).length,
    ).toBeGreaterThanOrEqual(2)
    expect(connects.filter((l) => l.startsWith('CONNECT deb.debian.org:443')).length).toBeGreaterThanOrEqual(
      2,
    )
  })

  it('keeps loopback direct (NO_PROXY): the model port gets origin-form requests', async () => {
    model.lines.length = 0
    const r = await sh(sandbox, 'curl -sS http://127.0.0.1:3129/v1/models')
    expect(r.stdout).toBe('blocked by the test proxy\n')
    expect(model.lines).toEqual(['GET /v1/models HTTP/1.1'])
  })

  it('still has only lo, no DNS, no route to a container; /run/codex-net is read-only', async () => {
    const { value, bridge } = await eventsDuring(async () => ({
      nets: await sh(sandbox, 'ls /sys/class/net; tail -n +2 /proc/net/route'),
      getent: await sh(sandbox, 'getent hosts deb.debian.org'),
      probes: await probe(sandbox, bridgePeer),
      ro: await sh(sandbox, 'touch /run/codex-net/x; ls -A /run/codex-net'),
    }))
    expect(value.nets.stdout).toBe('lo\n')
    expect(value.getent.exitCode).not.toBe(0)
    expect(value.probes.dns).toMatch(FAILED)
    expect(value.probes.tcp4).toMatch(/Network is unreachable/)
    expect(value.probes.udp).toMatch(/Network is unreachable/)
    expect(value.probes.rawIcmp).toMatch(/^PermissionError/)
    expect(value.probes.relayPort).toMatch(/^connected/) // the relay: the only way out
    expect(value.ro.stderr).toMatch(/Read-only file system/)
    expect(value.ro.stdout).toBe('model.sock\nproxy.sock\n')
    expect(bridge).toEqual([])
  })

  it('the agent can kill the relay (same uid): that only cuts its own way out; it can be started again', async () => {
    expect(
      (
        await sh(
          sandbox,
          'pkill -f "^python3 /usr/local/bin/codex-relay"; sleep 0.2; pgrep -f "^python3 /usr/local/bin/codex-relay"',
        )
      ).exitCode,
    ).toBe(1)
    const cut = await probe(sandbox, bridgePeer)
    expect(cut.relayPort).toMatch(/^ConnectionRefusedError/)
    expect(await sandbox.startRelay()).toEqual({ ports: [3128, 3129] })
    const again = await sandbox.exec(['python3', '-c', ECHO_CLIENT, '3128', '1000', '1'], {
      timeoutMs: 30_000,
    })
    expect(again.stdout.trim()).toBe('1 of 1 intact')
  })

  it('a second startRelay while one runs fails clearly', async () => {
    const err = await appErrorOf(sandbox.startRelay())
    expect(err.kind).toBe('container_failed')
    expect(err.message).toMatch(/Address already in use/)
  })

  it('says what is missing when the socket directory has no proxy.sock', async () => {
    const empty = await netDir()
    const bare = await newSandbox({ network: { kind: 'proxied', netDir: empty } })
    try {
      const err = await appErrorOf(bare.startRelay({ timeoutMs: 3000 }))
      expect(err.kind).toBe('container_failed')
      expect(err.message).toMatch(
        /nothing to relay: no socket \(proxy\.sock, model\.sock\) in \/run\/codex-net/,
      )
      // A model socket alone is relayed, but proxy.sock is required by default.
      const onlyModel = await fakeServer(join(empty, 'model.sock'))
      try {
        const err2 = await appErrorOf(bare.startRelay({ timeoutMs: 3000 }))
        expect(err2.message).toMatch(/no proxy\.sock to carry/)
      } finally {
        await onlyModel.close()
      }
    } finally {
      await bare.remove()
    }
  })

  it('refuses a socket directory that does not exist', async () => {
    const err = await appErrorOf(
      newSandbox({ network: { kind: 'proxied', netDir: '/nonexistent/codex-net' } }),
    )
    expect(err.kind).toBe('container_failed')
    expect(err.message).toMatch(/socket directory/)
  })
})
