import { execFileSync } from 'node:child_process'
import { chmod, readFile, readdir, rename, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DIFF_INDEX_FILE } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { writeFiles } from '../../support/files'
import { taskFixture, type TaskFixture } from '../../support/git-fixture'

const BINARY = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13])

/** The original files every test starts from. */
async function original(dir: string): Promise<void> {
  await writeFiles(dir, {
    'a.txt': 'one\ntwo\nthree\n',
    'b.txt': 'to be deleted\n',
    'run.sh': '#!/bin/sh\necho hi\n',
    'bin.dat': BINARY,
    'old-name.md': 'a document long enough to be detected as a rename\n'.repeat(5),
    'src/keep.ts': 'export const keep = 1\n',
    '.gitignore': '*.log\n',
  })
  await symlink('a.txt', join(dir, 'link'))
}

/** A change touching every kind of entry. */
async function change(ws: string): Promise<void> {
  await writeFile(join(ws, 'a.txt'), 'one\nTWO\nthree\n')
  await unlink(join(ws, 'b.txt'))
  await chmod(join(ws, 'run.sh'), 0o755)
  await writeFile(join(ws, 'bin.dat'), Buffer.concat([BINARY, BINARY]))
  await rename(join(ws, 'old-name.md'), join(ws, 'new-name.md'))
  await unlink(join(ws, 'link'))
  await symlink('src/keep.ts', join(ws, 'link'))
  await writeFiles(ws, { 'src/new/added.ts': 'export const added = 2\n', 'debug.log': 'ignored\n' })
}

async function lsTree(f: TaskFixture, tree: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const rec of (await f.git(['ls-tree', '-r', '-z', tree])).split('\0').filter(Boolean)) {
    const [meta = '', path = ''] = rec.split('\t')
    const [mode = '', , sha = ''] = meta.split(' ')
    out.set(path, `${mode} ${sha}`)
  }
  return out
}

const blob = async (f: TaskFixture, tree: string, path: string): Promise<string> =>
  f.git(['cat-file', '-p', `${tree}:${path}`])

describe('buildResultTree', () => {
  it('holds every kind of change: add, modify, delete, mode, symlink, binary, rename', async () => {
    const f = await taskFixture(original)
    await change(f.ws)
    const { tree, files } = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })

    expect(files).toEqual([
      'a.txt',
      'b.txt',
      'bin.dat',
      'link',
      'new-name.md',
      'old-name.md',
      'run.sh',
      'src/new/added.ts',
    ])
    const entries = await lsTree(f, tree)
    expect([...entries.keys()].sort()).toEqual([
      '.gitignore',
      'a.txt',
      'bin.dat',
      'link',
      'new-name.md',
      'run.sh',
      'src/keep.ts',
      'src/new/added.ts',
    ])
    expect(await blob(f, tree, 'a.txt')).toBe('one\nTWO\nthree\n')
    expect(entries.get('run.sh')).toMatch(/^100755 /)
    expect(entries.get('link')).toMatch(/^120000 /)
    expect(await blob(f, tree, 'link')).toBe('src/keep.ts')
    const size = (await f.git(['cat-file', '-s', `${tree}:bin.dat`])).trim()
    expect(Number(size)).toBe(BINARY.length * 2)
  })

  it('keeps the baseline version of excluded paths, a rename excluded by either side', async () => {
    const f = await taskFixture(original)
    await change(f.ws)
    const base = await lsTree(f, f.baseline)
    const { tree, files } = await buildResultTree({
      ...f,
      workspace: f.ws,
      excluded: ['a.txt', 'b.txt', 'src/new/added.ts', 'new-name.md', 'link'],
    })
    expect(files).toEqual(['bin.dat', 'run.sh'])
    const entries = await lsTree(f, tree)
    for (const path of ['a.txt', 'b.txt', 'old-name.md', 'link'])
      expect(entries.get(path)).toBe(base.get(path))
    expect(entries.has('new-name.md')).toBe(false)
    expect(entries.has('src/new/added.ts')).toBe(false)
    expect(entries.get('run.sh')).toMatch(/^100755 /)

    const byOldName = await buildResultTree({ ...f, workspace: f.ws, excluded: ['old-name.md'] })
    expect(byOldName.files).not.toContain('old-name.md')
    expect(byOldName.files).not.toContain('new-name.md')
  })

  it('gives the baseline tree when nothing changed or everything is excluded', async () => {
    const f = await taskFixture(original)
    const baseTree = (await f.git(['rev-parse', `${f.baseline}^{tree}`])).trim()
    expect(await buildResultTree({ ...f, workspace: f.ws, excluded: [] })).toEqual({
      tree: baseTree,
      files: [],
    })
    await change(f.ws)
    const all = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    const none = await buildResultTree({ ...f, workspace: f.ws, excluded: all.files })
    expect(none).toEqual({ tree: baseTree, files: [] })
  })

  it("leaves the diff's index and the workspace alone and cleans up its own index", async () => {
    const f = await taskFixture(original)
    await change(f.ws)
    await computeDiff({ workspace: f.ws, gitDir: f.gitDir, baseline: f.baseline })
    const indexBefore = await readFile(join(f.gitDir, DIFF_INDEX_FILE))
    const gitDirBefore = (await readdir(f.gitDir)).sort()
    await buildResultTree({ ...f, workspace: f.ws, excluded: ['a.txt'] })
    expect(await readFile(join(f.gitDir, DIFF_INDEX_FILE))).toEqual(indexBefore)
    expect((await readdir(f.gitDir)).sort()).toEqual(gitDirBefore)
    expect(await readFile(join(f.ws, 'a.txt'), 'utf8')).toBe('one\nTWO\nthree\n')
  })

  it('stages a nested repository as plain files, without its .git', async () => {
    const f = await taskFixture(original)
    await writeFiles(f.ws, { 'sub/file.txt': 'inside\n' })
    await runGit(['init', '-q'], { cwd: join(f.ws, 'sub') })
    const { tree, files } = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    expect(files).toEqual(['sub/file.txt'])
    expect(await blob(f, tree, 'sub/file.txt')).toBe('inside\n')
  })
})

describe('copies of the index (racy git)', () => {
  it('still sees a same-size edit made in the same clock tick as the baseline', async () => {
    // Timestamps set and copied to the nanosecond with touch (JS dates stop at the millisecond).
    const sameTick = (from: string, to: string): void => void execFileSync('touch', ['-r', from, to])
    const f = await taskFixture(async (dir) => {
      await writeFiles(dir, { 'a.txt': 'one\n' })
      execFileSync('touch', ['-d', '2026-01-01 00:00:00', join(dir, 'a.txt')])
    })
    const file = join(f.ws, 'a.txt')
    const tick = join(f.root, 'tick')
    await writeFile(tick, '')
    sameTick(file, tick)
    // The baseline's index written in the tick the file was: git then treats a.txt as racily clean.
    for (const index of ['index', DIFF_INDEX_FILE]) sameTick(tick, join(f.gitDir, index))
    // An edit of the same size within that tick: only a content check can see it.
    await writeFile(file, 'two\n')
    sameTick(tick, file)
    const { files } = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    expect(files).toEqual(['a.txt'])
    const diff = await computeDiff({ workspace: f.ws, gitDir: f.gitDir, baseline: f.baseline })
    expect(diff.fileDiffs.map((d) => d.newPath)).toEqual(['a.txt'])
  })
})
