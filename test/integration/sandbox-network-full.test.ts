/**
 * The sandbox in `full` mode: its own bridge, no neighbours, the host's trust.
 * Shared setup: sandbox-network-setup.ts.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FULL_NETWORK, NETWORK_LABEL } from '../../src/main/docker/networks'
import type { Sandbox } from '../../src/main/docker/sandbox'
import { collectCaBundle, parseCertificates, writeCaBundle } from '../../src/main/network/ca-bundle'
import { bridgePeer, eventsDuring, FAILED, fullPeer, probe, usePeers } from './sandbox-network-peers'
import {
  docker,
  imageWithoutHostCa,
  newSandbox,
  RELEASE,
  scratch,
  sh,
  useDocker,
} from './sandbox-network-setup'

useDocker()
usePeers()

describe('full: its own bridge, no neighbours, the host’s trust', () => {
  let sandbox: Sandbox
  let bundlePath: string
  let rootsOnlyPath: string
  let bundle: Awaited<ReturnType<typeof collectCaBundle>>

  beforeAll(async () => {
    const dir = await scratch('codex-ca-')
    bundle = await collectCaBundle()
    bundlePath = join(dir, 'ca-bundle.pem')
    await writeCaBundle(bundlePath, bundle.pem)
    rootsOnlyPath = join(dir, 'roots-only.pem')
    await writeCaBundle(rootsOnlyPath, rootCertificates.join('\n'))
    sandbox = await newSandbox({ network: { kind: 'full' }, caBundle: bundlePath })
  })
  afterAll(async () => {
    await sandbox?.remove()
  })

  it('joins codex-sys-full only (not bridge): labelled, inter-container traffic off, no IPv6', async () => {
    const info = await docker.getContainer(sandbox.id).inspect()
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([FULL_NETWORK])
    expect(info.HostConfig.NetworkMode).toBe(FULL_NETWORK)
    const net = (await docker.getNetwork(FULL_NETWORK).inspect()) as {
      Driver: string
      EnableIPv6: boolean
      Options: Record<string, string>
      Labels: Record<string, string>
    }
    expect(net.Driver).toBe('bridge')
    expect(net.EnableIPv6).toBe(false)
    expect(net.Options['com.docker.network.bridge.enable_icc']).toBe('false')
    expect(net.Labels[NETWORK_LABEL]).toBe('full')
    const v6 = await sh(sandbox, 'grep -v " lo$" /proc/net/if_inet6; ls /sys/class/net')
    expect(v6.stdout).toBe('eth0\nlo\n')
  })

  it('cannot reach another container, on codex-sys-full or on the default bridge, by TCP, UDP or ICMP', async () => {
    const { value, bridge, full } = await eventsDuring(async () => ({
      toFull: await probe(sandbox, fullPeer),
      toBridge: await probe(sandbox, bridgePeer),
    }))
    for (const p of [value.toFull, value.toBridge]) {
      expect(p.tcp4).toMatch(FAILED)
      expect(p.tcp4).not.toMatch(/connected/)
      expect(p.ping).toMatch(FAILED)
      expect(p.rawIcmp).toMatch(/^PermissionError/)
      expect(p.relayPort).toMatch(/^ConnectionRefusedError/)
    }
    expect(value.toBridge.tcp6).toMatch(FAILED)
    expect(value.toFull.tcp6).toBe('no address')
    expect(bridge).toEqual([])
    expect(full).toEqual([])
  })

  it('resolves deb.debian.org and, with the host’s bundle, fetches over HTTPS: curl, Python, Node, npm, pip, git', async () => {
    const p = await probe(sandbox, fullPeer)
    expect(p.dns).toMatch(/^resolved: /)
    const curl = await sh(sandbox, `curl -sSf ${RELEASE} -o /dev/null`)
    expect(curl.exitCode, curl.stderr).toBe(0)
    const py = await sh(
      sandbox,
      `python3 -c "import urllib.request; print(urllib.request.urlopen('${RELEASE}').status)"`,
    )
    expect(py.stdout.trim(), py.stderr).toBe('200')
    const node = await sh(
      sandbox,
      `node -e "require('https').get('${RELEASE}', (r) => { console.log(r.statusCode); r.resume() }).on('error', (e) => { console.error(e.message); process.exit(1) })"`,
    )
    expect(node.stdout.trim(), node.stderr).toBe('200')
    const npm = await sh(sandbox, 'cd /tmp && npm view is-number version', 120_000)
    expect(npm.exitCode, npm.stderr).toBe(0)
    expect(npm.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    // No package index there: a 404, after a verified handshake (a certificate failure reads differently).
    const pip = await sh(
      sandbox,
      'python3 -m pip download --no-deps --retries 0 -d /tmp/p --index-url https://deb.debian.org/debian/ nothing 2>&1',
      120_000,
    )
    expect(pip.stdout).not.toMatch(/SSL|CERTIFICATE/i)
    expect(pip.stdout).toMatch(/No matching distribution|404/)
    const git = await sh(sandbox, 'git ls-remote https://deb.debian.org/debian/ 2>&1')
    expect(git.stdout).not.toMatch(/SSL|certificate/i)
  })

  it('fails with certificate errors without the host’s extra CA: the bundle is what makes it work', async () => {
    // On these machines outbound HTTPS passes a TLS-inspecting proxy whose CA only the host trusts.
    const proxyCa = parseCertificates(
      await readFile('/usr/local/share/ca-certificates/sandboxing-egress-ca.crt'),
    ).certs[0]!
    expect(bundle.extraCount).toBeGreaterThanOrEqual(1)
    expect(parseCertificates(bundle.pem).certs.some((c) => c.fingerprint256 === proxyCa.fingerprint256)).toBe(
      true,
    )
    expect(bundle.count).toBeGreaterThanOrEqual(rootCertificates.length)

    // The agent image as it is without the host's CAs (the tests' image has them in its system store).
    const image = await imageWithoutHostCa()
    const rootsOnly = await newSandbox({ image, network: { kind: 'full' }, caBundle: rootsOnlyPath })
    const none = await newSandbox({ image, network: { kind: 'full' } })
    try {
      for (const s of [rootsOnly, none]) {
        const curl = await sh(s, `curl -sSf ${RELEASE} -o /dev/null`)
        expect(curl.exitCode).toBe(60)
        expect(curl.stderr).toMatch(/SSL certificate problem/)
      }
      const npm = await sh(rootsOnly, 'cd /tmp && npm view is-number version --fetch-retries=0 2>&1', 120_000)
      expect(npm.exitCode).not.toBe(0)
      expect(npm.stdout).toMatch(/SELF_SIGNED_CERT_IN_CHAIN|self[- ]signed certificate/i)
      const py = await sh(
        rootsOnly,
        `python3 -c "import urllib.request; urllib.request.urlopen('${RELEASE}')" 2>&1`,
      )
      expect(py.stdout).toMatch(/CERTIFICATE_VERIFY_FAILED/)
      const env = await sh(none, 'env')
      expect(env.stdout).not.toMatch(/SSL_CERT_FILE|CAFILE|CA_BUNDLE|NODE_EXTRA/)
    } finally {
      await rootsOnly.remove()
      await none.remove()
    }
  })

  it('mounts the bundle read-only, as the host wrote it', async () => {
    const r = await sh(
      sandbox,
      'sha256sum < "$SSL_CERT_FILE"; stat -c %a "$SSL_CERT_FILE"; grep " $SSL_CERT_FILE " /proc/mounts',
    )
    const [sum, mode, mount] = r.stdout.split('\n')
    expect(sum!.split(' ')[0]).toBe(createHash('sha256').update(bundle.pem).digest('hex'))
    expect(mode).toBe('644')
    expect(mount!.split(' ')[3]!.split(',')).toContain('ro')
    expect(() => new X509Certificate(parseCertificates(bundle.pem).certs[0]!.raw)).not.toThrow()
  })
})
