import { lstat, readFile, readdir, readlink, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  removeWorkspaceFile,
  restoreWorkspaceEntry,
  saveWorkspaceFile,
} from '../../../src/main/engine/workspace-edit'
import { appErrorOf, writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** The restores of "discard" and "undo" (engine/workspace-edit.ts): bytes, modes, removal. */
async function workspace(): Promise<string> {
  const ws = join(await tempDir('codex-restore-'), 'workspace')
  await writeFiles(ws, { 'src/a.ts': 'a\n', 'run.sh': '#!/bin/sh\n' })
  return ws
}

const permissions = async (path: string): Promise<number> => (await stat(path)).mode & 0o7777
const every256Bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))

describe('restoreWorkspaceEntry', () => {
  it('writes binary content byte for byte, over a file and as a new one', async () => {
    const ws = await workspace()
    await restoreWorkspaceEntry(ws, 'src/a.ts', { content: every256Bytes, mode: '100644' })
    expect((await readFile(join(ws, 'src/a.ts'))).equals(every256Bytes)).toBe(true)
    await restoreWorkspaceEntry(ws, 'img.bin', { content: every256Bytes, mode: '100644' })
    expect((await readFile(join(ws, 'img.bin'))).equals(every256Bytes)).toBe(true)
    // No temporary file left behind.
    expect((await readdir(ws)).sort()).toEqual(['img.bin', 'run.sh', 'src'])
  })

  it('restores the executable bit both ways, whatever the umask', async () => {
    const ws = await workspace()
    const before = process.umask(0o077)
    onTestFinished(() => void process.umask(before))
    await restoreWorkspaceEntry(ws, 'run.sh', { content: Buffer.from('#!/bin/sh\necho\n'), mode: '100755' })
    expect(await permissions(join(ws, 'run.sh'))).toBe(0o755)
    await restoreWorkspaceEntry(ws, 'run.sh', { content: Buffer.from('#!/bin/sh\n'), mode: '100644' })
    expect(await permissions(join(ws, 'run.sh'))).toBe(0o644)
    await restoreWorkspaceEntry(ws, 'tools/new.sh', { content: Buffer.from('x'), mode: '100755' })
    expect(await permissions(join(ws, 'tools/new.sh'))).toBe(0o755)
  })

  it('creates the folders a deleted file lived in', async () => {
    const ws = await workspace()
    await restoreWorkspaceEntry(ws, 'gone/deep/er/file.txt', {
      content: Buffer.from('back\n'),
      mode: '100644',
    })
    expect(await readFile(join(ws, 'gone/deep/er/file.txt'), 'utf8')).toBe('back\n')
    expect((await stat(join(ws, 'gone/deep'))).mode & 0o777).toBe(0o755)
  })

  it('removes the file when the original had none; a missing one is already removed', async () => {
    const ws = await workspace()
    await restoreWorkspaceEntry(ws, 'src/a.ts', null)
    expect(await readdir(join(ws, 'src'))).toEqual([])
    await restoreWorkspaceEntry(ws, 'src/a.ts', null)
    await restoreWorkspaceEntry(ws, 'no/such/dir/x.txt', null)
    expect((await readdir(ws)).sort()).toEqual(['run.sh', 'src'])
  })

  it('replaces a symbolic link the agent put in place of a file, leaving its target alone', async () => {
    const ws = await workspace()
    await symlink('run.sh', join(ws, 'src', 'b.ts'))
    await restoreWorkspaceEntry(ws, 'src/b.ts', { content: Buffer.from('b\n'), mode: '100644' })
    expect((await lstat(join(ws, 'src/b.ts'))).isFile()).toBe(true)
    expect(await readFile(join(ws, 'src/b.ts'), 'utf8')).toBe('b\n')
    expect(await readFile(join(ws, 'run.sh'), 'utf8')).toBe('#!/bin/sh\n')
  })

  it('refuses to create a symbolic link, or anything but a file', async () => {
    const ws = await workspace()
    const link = await appErrorOf(
      restoreWorkspaceEntry(ws, 'l', { content: Buffer.from('src'), mode: '120000' }),
    )
    expect(link.kind).toBe('invalid_input')
    expect(link.message).toBe('"l" is a symbolic link in the original; exclude it instead of discarding.')
    expect(link.hint).toBeTruthy()
    const gitlink = await appErrorOf(
      restoreWorkspaceEntry(ws, 'm', { content: Buffer.alloc(0), mode: '160000' }),
    )
    expect(gitlink.message).toContain('not a regular file in the original')
    expect((await readdir(ws)).sort()).toEqual(['run.sh', 'src'])
  })
})

describe('saveWorkspaceFile with a Buffer and a mode', () => {
  it('writes the bytes and the mode asked for', async () => {
    const ws = await workspace()
    await saveWorkspaceFile(ws, 'src/a.ts', every256Bytes, { mode: 0o755 })
    expect((await readFile(join(ws, 'src/a.ts'))).equals(every256Bytes)).toBe(true)
    expect(await permissions(join(ws, 'src/a.ts'))).toBe(0o755)
  })

  it.each([0o4755, 0o2755, 0o1755, 0o777, 0o600])('refuses the mode %o', async (mode) => {
    const ws = await workspace()
    const err = await appErrorOf(saveWorkspaceFile(ws, 'src/a.ts', 'x', { mode }))
    expect(err.message).toContain('644 or 755')
    expect(await readFile(join(ws, 'src/a.ts'), 'utf8')).toBe('a\n')
    expect(await permissions(join(ws, 'src/a.ts'))).toBe(0o644)
  })

  it('still refuses to edit through a symbolic link at the path (only a restore replaces it)', async () => {
    const ws = await workspace()
    await symlink('run.sh', join(ws, 'link.sh'))
    expect((await appErrorOf(saveWorkspaceFile(ws, 'link.sh', 'x'))).message).toContain('symbolic link')
    expect(await readlink(join(ws, 'link.sh'))).toBe('run.sh')
  })
})

describe('removeWorkspaceFile', () => {
  it('removes a file; a missing file or folder is a no-op', async () => {
    const ws = await workspace()
    await removeWorkspaceFile(ws, 'src/a.ts')
    await removeWorkspaceFile(ws, 'src/a.ts')
    await removeWorkspaceFile(ws, 'nowhere/x')
    expect((await readdir(ws)).sort()).toEqual(['run.sh', 'src'])
    expect(await readdir(join(ws, 'src'))).toEqual([])
  })

  it('refuses a folder', async () => {
    const ws = await workspace()
    const err = await appErrorOf(removeWorkspaceFile(ws, 'src'))
    expect(err.message).toBe('"src" cannot be removed: it is a folder.')
    expect(await readdir(join(ws, 'src'))).toEqual(['a.ts'])
  })
})
