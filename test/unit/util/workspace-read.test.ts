import { execFileSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  lstatNoFollow,
  readWorkspaceFileSync,
  relativePathProblem,
} from '../../../src/main/util/workspace-read'
import { tempDir } from '../../support/tmp'

async function setUp(): Promise<{ ws: string; secret: string }> {
  const root = await tempDir()
  const ws = join(root, 'workspace')
  const home = join(root, 'home')
  await mkdir(join(home, '.ssh'), { recursive: true })
  const secret = join(home, '.ssh', 'id_ed25519')
  await writeFile(secret, 'HOST-SECRET\n')
  await mkdir(join(ws, 'src', 'deep'), { recursive: true })
  await writeFile(join(ws, 'src', 'deep', 'ok.txt'), 'fine\n')
  await writeFile(join(ws, 'AGENTS.md'), 'x'.repeat(100))
  await symlink(secret, join(ws, 'setup.sh'))
  await symlink(home, join(ws, 'linked-home'))
  await symlink(join(ws, 'src'), join(ws, 'inner-link'))
  await symlink('/dev/zero', join(ws, 'zero'))
  execFileSync('mkfifo', [join(ws, 'pipe')])
  return { ws, secret }
}

describe('workspace reads', () => {
  it('reads a regular file through real directories', async () => {
    const { ws } = await setUp()
    const read = readWorkspaceFileSync(ws, 'src/deep/ok.txt', { maxBytes: 1024 })
    expect(read).toMatchObject({ ok: true, truncated: false, size: 5 })
    expect(read.ok && read.content.toString()).toBe('fine\n')
  })

  it('refuses a symlink as the last component, even to a file inside', async () => {
    const { ws } = await setUp()
    expect(readWorkspaceFileSync(ws, 'setup.sh', { maxBytes: 1024 })).toMatchObject({
      ok: false,
      reason: 'symlink',
    })
    expect(readWorkspaceFileSync(ws, 'zero', { maxBytes: 1024 })).toMatchObject({
      ok: false,
      reason: 'symlink',
    })
  })

  it('refuses a symlink in any parent component, in or out of the workspace', async () => {
    const { ws } = await setUp()
    const outside = readWorkspaceFileSync(ws, 'linked-home/.ssh/id_ed25519', { maxBytes: 1024 })
    expect(outside).toMatchObject({ ok: false, reason: 'symlink' })
    expect(!outside.ok && outside.message).toContain('"linked-home"')
    expect(readWorkspaceFileSync(ws, 'inner-link/deep/ok.txt', { maxBytes: 1024 })).toMatchObject({
      ok: false,
      reason: 'symlink',
    })
    expect(lstatNoFollow(ws, 'linked-home/.ssh')).toMatchObject({ ok: false, reason: 'symlink' })
  })

  it('never opens a FIFO, a socket or a device (the read returns at once)', async () => {
    const { ws } = await setUp()
    const sock = join(ws, 'sock')
    const server = createServer().listen(sock)
    await new Promise((r) => server.once('listening', r))
    try {
      expect(readWorkspaceFileSync(ws, 'pipe', { maxBytes: 1024 })).toMatchObject({
        ok: false,
        reason: 'not_regular',
        message: expect.stringContaining('FIFO'),
      })
      expect(readWorkspaceFileSync(ws, 'sock', { maxBytes: 1024 })).toMatchObject({
        ok: false,
        reason: 'not_regular',
        message: expect.stringContaining('socket'),
      })
      expect(readWorkspaceFileSync(ws, 'src', { maxBytes: 1024 })).toMatchObject({
        ok: false,
        reason: 'not_regular',
      })
    } finally {
      server.close()
    }
  })

  it('caps the size: refuses, or truncates when asked', async () => {
    const { ws } = await setUp()
    expect(readWorkspaceFileSync(ws, 'AGENTS.md', { maxBytes: 10 })).toMatchObject({
      ok: false,
      reason: 'too_large',
    })
    const cut = readWorkspaceFileSync(ws, 'AGENTS.md', { maxBytes: 10, overflow: 'truncate' })
    expect(cut).toMatchObject({ ok: true, truncated: true, size: 100 })
    expect(cut.ok && cut.content.length).toBe(10)
  })

  it('refuses paths that are not clean and relative', () => {
    for (const bad of ['', '/etc/passwd', '../x', 'a/../b', 'a//b', './a', 'a\\b', 'a\0b', 'a/']) {
      expect(relativePathProblem(bad), JSON.stringify(bad)).toBeDefined()
    }
    for (const good of ['a', 'a/b.txt', '.github/x', '..a', 'a..']) {
      expect(relativePathProblem(good), good).toBeUndefined()
    }
  })

  it('says missing for what is not there', async () => {
    const { ws } = await setUp()
    expect(readWorkspaceFileSync(ws, 'nope/x', { maxBytes: 1 })).toMatchObject({
      ok: false,
      reason: 'missing',
    })
    expect(readWorkspaceFileSync(ws, 'src/deep/ok.txt/x', { maxBytes: 1 })).toMatchObject({ ok: false })
  })
})
