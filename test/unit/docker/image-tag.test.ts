import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { rootCertificates } from 'node:tls'
import { agentImageTag, defaultBaseImage, HOST_CA_FILE, hostCaFile } from '../../../src/main/docker/image'
import { parseCertificates } from '../../../src/main/network/ca-bundle'
import { makeTestCa } from '../../support/test-ca'
import { tempDir } from '../../support/tmp'

afterEach(() => {
  vi.unstubAllEnvs()
})

async function context(): Promise<string> {
  const dir = await tempDir()
  await writeFile(join(dir, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n')
  await writeFile(join(dir, 'codex-tool'), '#!/usr/bin/env python3\nprint(1)\n', { mode: 0o755 })
  await mkdir(join(dir, 'sub'))
  await writeFile(join(dir, 'sub', 'a.txt'), 'a')
  return dir
}

describe('agentImageTag', () => {
  it('is codex-sys-agent:<12 hex> and stable for the same inputs', async () => {
    const dir = await context()
    const tag = await agentImageTag(dir, 'debian:bookworm-slim')
    expect(tag).toMatch(/^codex-sys-agent:[0-9a-f]{12}$/)
    expect(await agentImageTag(dir, 'debian:bookworm-slim')).toBe(tag)
    const twin = await context()
    expect(await agentImageTag(twin, 'debian:bookworm-slim')).toBe(tag)
  })

  it('changes with any content, path, executable bit, new file, symlink or the base image', async () => {
    const dir = await context()
    const seen = new Set<string>([await agentImageTag(dir, 'base:1')])
    const expectNew = async (base = 'base:1'): Promise<void> => {
      const tag = await agentImageTag(dir, base)
      expect(seen.has(tag)).toBe(false)
      seen.add(tag)
    }
    await expectNew('base:2')
    await writeFile(join(dir, 'sub', 'a.txt'), 'b')
    await expectNew()
    await chmod(join(dir, 'codex-tool'), 0o644)
    await expectNew()
    await writeFile(join(dir, 'sub', 'b.txt'), '')
    await expectNew()
    await symlink('a.txt', join(dir, 'sub', 'link'))
    await expectNew()
  })

  it('ignores permission bits other than the executable one', async () => {
    const dir = await context()
    const before = await agentImageTag(dir, 'b')
    await chmod(join(dir, 'sub', 'a.txt'), 0o600)
    expect(await agentImageTag(dir, 'b')).toBe(before)
  })
})

/** A CERTIFICATE block that does not parse (cut short). */
const BROKEN_BLOCK = `-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUYN7iLXu1wL5nGquMXkR2AS6f3bAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJVGVzdCBDQSBBMB4XDTI1MDEwMTAwMDAwMFoXDTM1MDEwMTAw
MDAwMFowFDESMBAGA1UEAwwJVGVzdCBDQSBBMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAE
-----END CERTIFICATE-----
`

describe('hostCaFile and the tag (the host’s extra CAs in the build)', () => {
  async function caContext(): Promise<string> {
    const dir = await context()
    await writeFile(join(dir, HOST_CA_FILE), hostCaFile())
    return dir
  }

  it('is only a comment without a bundle, or with public roots only', () => {
    expect(parseCertificates(hostCaFile()).certs).toEqual([])
    expect(hostCaFile()).toMatch(/^# /)
    expect(hostCaFile(rootCertificates.slice(0, 20).join('\n'))).toBe(hostCaFile())
    // A broken block is no certificate: left out.
    expect(hostCaFile(BROKEN_BLOCK)).toBe(hostCaFile())
  })

  it('holds the certificates beyond the public roots, sorted, whatever the order given', async () => {
    const dir = await tempDir()
    const make = (cn: string): string => makeTestCa(dir, cn).pem
    const a = make('Proxy CA A')
    const b = make('Proxy CA B')
    const roots = rootCertificates.slice(0, 3).join('\n')
    const file = hostCaFile(`${roots}\n${a}${b}`)
    expect(
      parseCertificates(file)
        .certs.map((c) => c.subject)
        .sort(),
    ).toEqual(['CN=Proxy CA A', 'CN=Proxy CA B'])
    expect(hostCaFile(`${b}${roots}\n${a}`)).toBe(file)

    // The tag counts host-ca.pem as the build will have it: a new CA, a new tag; the same trust, the same tag.
    const ctx = await caContext()
    const none = await agentImageTag(ctx, 'base:1')
    expect(await agentImageTag(ctx, 'base:1', roots)).toBe(none)
    const withA = await agentImageTag(ctx, 'base:1', `${roots}\n${a}`)
    expect(withA).not.toBe(none)
    const withAB = await agentImageTag(ctx, 'base:1', `${a}${b}`)
    expect(withAB).not.toBe(withA)
    expect(await agentImageTag(ctx, 'base:1', `${b}${a}${roots}`)).toBe(withAB)
    // Whatever host-ca.pem holds on disk does not count, only what the build will send.
    await writeFile(join(ctx, HOST_CA_FILE), a)
    expect(await agentImageTag(ctx, 'base:1')).toBe(none)
  })

  it('agent-image/host-ca.pem is the empty one, so the checked-in context builds as the engine’s would', async () => {
    const { readFile } = await import('node:fs/promises')
    const shipped = await readFile(new URL('../../../agent-image/host-ca.pem', import.meta.url), 'utf8')
    expect(shipped).toBe(hostCaFile())
  })
})

describe('defaultBaseImage', () => {
  it('comes from CODEX_BASE_IMAGE, else a public Debian image', () => {
    vi.stubEnv('CODEX_BASE_IMAGE', 'codex-sys/debian-base:bookworm')
    expect(defaultBaseImage()).toBe('codex-sys/debian-base:bookworm')
    vi.stubEnv('CODEX_BASE_IMAGE', '')
    expect(defaultBaseImage()).toBe('debian:bookworm-slim')
  })
})
