/** The sandbox with its network off (`none`): nothing leaves. Shared setup: sandbox-network-setup.ts. */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { appErrorOf } from '../support/files'
import { bridgePeer, eventsDuring, FAILED, probe, usePeers } from './sandbox-network-peers'
import { docker, newSandbox, rand, RELEASE, scratch, sh, useDocker } from './sandbox-network-setup'

useDocker()
usePeers()

describe('off (network none): nothing leaves', () => {
  let sandbox: Sandbox
  const otherTaskSecret = `codex-placeholder-${rand()}${rand()}`
  let otherNetDir: string

  beforeAll(async () => {
    // Another task's socket directory, holding a credential: nothing of it may show up here.
    otherNetDir = await scratch('codex-net-other-', 0o755)
    await writeFile(join(otherNetDir, 'credential'), otherTaskSecret)
    sandbox = await newSandbox()
  })
  afterAll(async () => {
    await sandbox?.remove()
  })

  it('fails at least 10 probes: DNS, HTTPS and HTTP by name, TCP/UDP/ICMP/IPv6 to a container, the relay port', async () => {
    const { value: shell, bridge } = await eventsDuring(async () => ({
      getent: await sh(sandbox, 'getent hosts deb.debian.org'),
      https: await sh(sandbox, `curl -sS -m 10 -o /dev/null ${RELEASE}`),
      http: await sh(sandbox, 'curl -sS -m 10 -o /dev/null http://deb.debian.org/debian/'),
      probes: await probe(sandbox, bridgePeer),
    }))
    expect(shell.getent.exitCode).not.toBe(0) // 1: DNS lookup
    expect(shell.https.exitCode).toBe(6) // 2: could not resolve host
    expect(shell.https.stderr).toMatch(/Could not resolve host: deb\.debian\.org/)
    expect(shell.http.exitCode).toBe(6) // 3
    const p = shell.probes
    expect(p.dns).toMatch(FAILED) // 4
    expect(p.tcp4).toMatch(/Network is unreachable/) // 5: TCP to the peer's address
    expect(p.tcp6).toMatch(FAILED) // 6: IPv6 to the peer
    expect(p.tcp6).not.toMatch(/connected/)
    expect(p.udp).toMatch(/Network is unreachable/) // 7: UDP to the peer
    expect(p.rawIcmp).toMatch(/^PermissionError/) // 8: raw ICMP: no CAP_NET_RAW
    expect(p.ping).toMatch(FAILED) // 9: ICMP echo over a ping socket
    expect(p.relayPort).toMatch(/^ConnectionRefusedError/) // 10: no relay, no proxy
    expect(bridge).toEqual([]) // and the peer saw nothing at all
  })

  it('has only lo: no route, no IPv6 address, nothing in /run/codex-net', async () => {
    const r = await sh(
      sandbox,
      'ls /sys/class/net; echo ---; tail -n +2 /proc/net/route; echo ---; cat /proc/net/if_inet6; echo ---; ls -A /run/codex-net',
    )
    expect(r.stdout).toBe('lo\n---\n---\n---\n')
  })

  it('holds no proxy setting, no CA variable and no credential of another task in env or files', async () => {
    const env = await sh(sandbox, 'env; tr "\\0" "\\n" < /proc/1/environ')
    expect(env.stdout).not.toMatch(/proxy|SSL_CERT|CAFILE|CA_BUNDLE/i)
    const info = await docker.getContainer(sandbox.id).inspect()
    expect(info.Config.Env.map((e) => e.split('=')[0]).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TERM'])
    expect(JSON.stringify(info.Mounts)).not.toContain(otherNetDir)
    const grep = await sandbox.exec(
      ['grep', '-rIFls', '-e', otherTaskSecret, '/run', '/etc', '/tmp', '/home', '/workspace'],
      { timeoutMs: 60_000 },
    )
    expect(grep.stdout).toBe('')
    expect([1, 2]).toContain(grep.exitCode)
    expect(env.stdout).not.toContain(otherTaskSecret)
  })

  it('has no relay to start', async () => {
    const err = await appErrorOf(sandbox.startRelay())
    expect(err.kind).toBe('invalid_input')
  })
})
