import { chmod, mkdir, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyToFolder } from '../../../src/main/git/apply-folder'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { appErrorOf, writeFiles } from '../../support/files'
import { snapshot, taskFixture, type TaskFixture } from '../../support/git-fixture'

const BINARY = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13])
const author = { name: 'Ada Lovelace', email: 'ada@example.com' }

async function original(dir: string): Promise<void> {
  await writeFiles(dir, {
    'a.txt': 'one\ntwo\n',
    'gone/only.txt': 'the only file of its folder\n',
    'run.sh': '#!/bin/sh\n',
    'bin.dat': BINARY,
    'd/f.txt': 'd is a folder for now\n',
    'keep.txt': 'untouched\n',
    'skip.txt': 'excluded\n',
  })
  await symlink('a.txt', join(dir, 'link'))
  await chmod(join(dir, 'a.txt'), 0o640)
}

async function change(ws: string): Promise<void> {
  await writeFile(join(ws, 'a.txt'), 'one\nTWO\n')
  await rm(join(ws, 'gone'), { recursive: true })
  await chmod(join(ws, 'run.sh'), 0o755)
  await writeFile(join(ws, 'bin.dat'), Buffer.concat([BINARY, BINARY]))
  await rm(join(ws, 'd'), { recursive: true })
  await writeFile(join(ws, 'd'), 'd is a file now\n')
  await unlink(join(ws, 'link'))
  await symlink('keep.txt', join(ws, 'link'))
  await writeFile(join(ws, 'skip.txt'), 'changed but excluded\n')
  await writeFiles(ws, { 'new/deep/added.txt': 'added\n' })
}

async function prepared(): Promise<TaskFixture & { tree: string; files: string[] }> {
  const f = await taskFixture(original)
  await change(f.ws)
  const result = await buildResultTree({ ...f, workspace: f.ws, excluded: ['skip.txt'] })
  return { ...f, ...result }
}

const applyFiles = (f: TaskFixture & { tree: string; files: string[] }): ReturnType<typeof applyToFolder> =>
  applyToFolder({ ...f, folder: f.original, mode: 'files', author })

describe('applyToFolder (files)', () => {
  it('writes the accepted change into the folder: content, modes, links, deletions, new folders', async () => {
    const f = await prepared()
    const result = await applyFiles(f)
    expect(result.written).toEqual(f.files)
    expect(result.written).toContain('gone/only.txt')

    const got = await snapshot(f.original)
    const want = await snapshot(f.ws)
    want['skip.txt'] = 'file 644 ' + Buffer.from('excluded\n').toString('base64')
    expect(got).toEqual(want)
    // Permissions of a replaced file are kept (0640 stays 0640); the emptied folder is gone.
    expect(got['a.txt']).toMatch(/^file 640 /)
    expect(got['gone']).toBeUndefined()
    expect(got['run.sh']).toMatch(/^file 755 /)
    expect((await readdir(f.original)).filter((n) => n.startsWith('.codex'))).toEqual([])
  })

  it('refuses, writing nothing, when touched files changed since the task started', async () => {
    const f = await prepared()
    await writeFile(join(f.original, 'a.txt'), 'edited by the user meanwhile\n')
    await writeFiles(f.original, { 'new/deep/added.txt': 'created by the user\n' })
    await unlink(join(f.original, 'link'))
    await symlink('elsewhere', join(f.original, 'link'))
    const before = await snapshot(f.original)

    const err = await appErrorOf(applyFiles(f))
    expect(err.kind).toBe('conflict')
    expect(err.details?.paths).toEqual(['a.txt', 'link', 'new/deep/added.txt'])
    expect(err.message).toContain('a.txt')
    expect(err.message).toContain('new/deep/added.txt')
    expect(await snapshot(f.original)).toEqual(before)
  })

  it('refuses a path that now goes through a symbolic link', async () => {
    const f = await prepared()
    const outside = join(f.root, 'outside')
    await mkdir(outside)
    await symlink(outside, join(f.original, 'new'))
    const err = await appErrorOf(applyFiles(f))
    expect(err.kind).toBe('conflict')
    expect(err.details?.paths).toEqual(['new/deep/added.txt'])
    expect(await readdir(outside)).toEqual([])
  })

  it('rolls back everything already written when a write fails midway', async () => {
    const f = await prepared()
    // Not imported (ignored), so not in the baseline: it keeps `d` a non-empty folder, and `d` the file
    // cannot replace it. Files sorted before `d` are written first, then undone.
    await writeFile(join(f.original, 'd', 'local.log'), 'kept by the user\n')
    const before = await snapshot(f.original)

    const err = await appErrorOf(applyFiles(f))
    expect(err.kind).toBe('conflict')
    expect(err.message).toMatch(/undone/)
    expect(await snapshot(f.original)).toEqual(before)
  })
})
