import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { agentImageTag, defaultBaseImage } from '../../../src/main/docker/image'
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

describe('defaultBaseImage', () => {
  it('comes from CODEX_BASE_IMAGE, else a public Debian image', () => {
    vi.stubEnv('CODEX_BASE_IMAGE', 'codex-sys/debian-base:bookworm')
    expect(defaultBaseImage()).toBe('codex-sys/debian-base:bookworm')
    vi.stubEnv('CODEX_BASE_IMAGE', '')
    expect(defaultBaseImage()).toBe('debian:bookworm-slim')
  })
})
