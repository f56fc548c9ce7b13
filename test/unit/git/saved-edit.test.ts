import { execFileSync } from 'node:child_process'
import { mkdir, readFile, readdir, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { saveWorkspaceFile } from '../../../src/main/engine/workspace-edit'
import { appErrorOf, writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** Edits saved from the review (engine/workspace-edit.ts): only safe names, never through a link. */
async function setup(): Promise<{ ws: string; outside: string }> {
  const root = await tempDir('codex-edit-')
  const ws = join(root, 'workspace')
  const outside = join(root, 'outside')
  await writeFiles(ws, { 'src/a.ts': 'a\n', 'src/aux.c': 'int aux;\n' })
  await writeFiles(outside, { 'secret.txt': 'secret\n' })
  return { ws, outside }
}

describe('saveWorkspaceFile', () => {
  it('writes an edit over a file, keeping its mode, and leaves no temporary file behind', async () => {
    const { ws } = await setup()
    const before = (await stat(join(ws, 'src/a.ts'))).mode
    await saveWorkspaceFile(ws, 'src/a.ts', 'edited\n')
    expect(await readFile(join(ws, 'src/a.ts'), 'utf8')).toBe('edited\n')
    expect((await stat(join(ws, 'src/a.ts'))).mode).toBe(before)
    expect(await readdir(join(ws, 'src'))).toEqual(['a.ts', 'aux.c'])
  })

  it('refuses a path through a symbolic link in any parent, writing nothing there', async () => {
    const { ws, outside } = await setup()
    await symlink(outside, join(ws, 'link'))
    await mkdir(join(ws, 'deep'))
    await symlink(outside, join(ws, 'deep', 'inner'))
    for (const path of ['link/secret.txt', 'link/new.txt', 'deep/inner/secret.txt']) {
      const err = await appErrorOf(saveWorkspaceFile(ws, path, 'owned\n'))
      expect(err.kind).toBe('invalid_input')
      expect(err.message).toContain('through a symbolic link')
    }
    expect(await readdir(outside)).toEqual(['secret.txt'])
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret\n')
  })

  it('refuses a symbolic link or a FIFO as the target', async () => {
    const { ws, outside } = await setup()
    await symlink(join(outside, 'secret.txt'), join(ws, 'src', 'link.ts'))
    expect((await appErrorOf(saveWorkspaceFile(ws, 'src/link.ts', 'x'))).message).toContain('symbolic link')
    execFileSync('mkfifo', [join(ws, 'src', 'pipe')])
    expect((await appErrorOf(saveWorkspaceFile(ws, 'src/pipe', 'x'))).message).toContain('not a file')
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret\n')
  })

  it.each([
    '.git/config',
    'GIT~1/hooks/pre-commit',
    '.git./hooks/post-checkout',
    '.g\u200cit/hooks/pre-push',
    'src/.GIT',
    '../escape.txt',
    '/etc/passwd',
    'src//a.ts',
    'src\\a.ts',
  ])('refuses the unsafe name %j', async (path) => {
    const { ws } = await setup()
    const err = await appErrorOf(saveWorkspaceFile(ws, path, 'owned\n'))
    expect(err.kind).toBe('invalid_input')
  })

  it('refuses to create a name Windows cannot hold, but edits one that came with the code', async () => {
    const { ws } = await setup()
    for (const path of ['src/con.txt', 'src/a:b', 'src/x.']) {
      expect((await appErrorOf(saveWorkspaceFile(ws, path, 'x'))).message).toContain('cannot be saved')
    }
    await saveWorkspaceFile(ws, 'src/aux.c', 'int aux = 1;\n')
    expect(await readFile(join(ws, 'src/aux.c'), 'utf8')).toBe('int aux = 1;\n')
  })
})
