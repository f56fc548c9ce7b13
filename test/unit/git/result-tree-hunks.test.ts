import { execFileSync } from 'node:child_process'
import { rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { HunkExclusion } from '../../../src/shared/review'
import { DIFF_INDEX_FILE } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { parseFileHunks } from '../../../src/main/git/hunks'
import { fileSection } from '../../../src/main/git/partial-patch'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { writeFiles } from '../../support/files'
import { taskFixture, type TaskFixture } from '../../support/git-fixture'

const numbered = (n: number): string[] => Array.from({ length: n }, (_, i) => `line ${i + 1}`)
const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('')

const A_OLD = text(numbered(30))
/** Hunk 1: line 2 → TWO. Hunk 2: lines 15–16 → X, Y. Hunk 3: NEW after line 28. */
const A_NEW = text(
  numbered(30).flatMap((l, i) =>
    i === 1 ? ['TWO'] : i === 14 ? ['X', 'Y'] : i === 15 ? [] : i === 27 ? [l, 'NEW'] : [l],
  ),
)

async function fixture(): Promise<TaskFixture> {
  const f = await taskFixture((dir) =>
    writeFiles(dir, {
      'a.txt': A_OLD,
      'gone.txt': 'x\ny\nz\n',
      'other.txt': 'old\n',
      'secret.txt': 'secret\n',
    }),
  )
  await writeFiles(f.ws, { 'a.txt': A_NEW, 'new.txt': 'p\nq\nr\n', 'other.txt': 'new\n' })
  await unlink(join(f.ws, 'gone.txt'))
  return f
}

/** The hunk keys of each file, as the review got them from the diff. */
async function keysOf(f: TaskFixture): Promise<Map<string, string[]>> {
  const diff = await computeDiff({ ...f, workspace: f.ws })
  return new Map(diff.fileDiffs.map((d) => [d.newPath ?? d.oldPath ?? '', (d.hunks ?? []).map((h) => h.key)]))
}

const build = (f: TaskFixture, excludedHunks: HunkExclusion[], excluded: string[] = []) =>
  buildResultTree({ ...f, workspace: f.ws, excluded, excludedHunks })

const show = (f: TaskFixture, tree: string, path: string): Promise<string> =>
  f.git(['cat-file', '-p', `${tree}:${path}`])

const entryOf = async (f: TaskFixture, tree: string, path: string): Promise<string> =>
  (await f.git(['ls-tree', tree, '--', path])).split('\t')[0] ?? ''

describe('buildResultTree with hunks left out', () => {
  it('holds only the selected changes of each file', async () => {
    const f = await fixture()
    const keys = await keysOf(f)
    const [a1 = '', a2 = ''] = keys.get('a.txt') ?? []
    const [n1 = ''] = keys.get('new.txt') ?? []
    const [g1 = ''] = keys.get('gone.txt') ?? []
    const { tree, files } = await build(f, [
      { path: 'a.txt', key: a1 },
      { path: 'a.txt', key: a2, lines: [1, 3] }, // keep old line 16, leave Y out
      { path: 'new.txt', key: n1, lines: [1] },
      { path: 'gone.txt', key: g1, lines: [0] },
    ])
    const a = numbered(30).flatMap((l, i) =>
      i === 14 ? [] : i === 15 ? [l, 'X'] : i === 27 ? [l, 'NEW'] : [l],
    )
    expect(await show(f, tree, 'a.txt')).toBe(text(a))
    expect(await show(f, tree, 'new.txt')).toBe('p\nr\n')
    expect(await show(f, tree, 'gone.txt')).toBe('x\n')
    expect(await entryOf(f, tree, 'gone.txt')).toMatch(/^100644 blob /)
    expect(await show(f, tree, 'other.txt')).toBe('new\n')
    expect(files).toEqual(['a.txt', 'gone.txt', 'new.txt', 'other.txt'])
  })

  it('ignores keys the file no longer has', async () => {
    const f = await fixture()
    const whole = await build(f, [])
    const stale = await build(f, [
      { path: 'a.txt', key: 'f'.repeat(40) },
      { path: 'other.txt', key: 'e'.repeat(40), lines: [0] },
      { path: 'secret.txt', key: 'd'.repeat(40) },
      { path: 'no-such-file', key: 'c'.repeat(40) },
    ])
    expect(stale).toEqual(whole)
    expect(await show(f, stale.tree, 'a.txt')).toBe(A_NEW)
  })

  it('keeps the baseline version of a file with every change left out', async () => {
    const f = await fixture()
    const keys = await keysOf(f)
    const all = (path: string): HunkExclusion[] => (keys.get(path) ?? []).map((key) => ({ path, key }))
    const [n1 = ''] = keys.get('new.txt') ?? []
    const { tree, files } = await build(f, [
      ...all('a.txt'),
      ...all('gone.txt'),
      { path: 'new.txt', key: n1, lines: [0, 1, 2] },
    ])
    expect(files).toEqual(['other.txt'])
    expect(await show(f, tree, 'a.txt')).toBe(A_OLD)
    expect(await show(f, tree, 'gone.txt')).toBe('x\ny\nz\n')
    expect(await entryOf(f, tree, 'new.txt')).toBe('')
  })

  it('ignores a selection in a file too large for the diff to show hunks of', async () => {
    const big = numbered(120_000)
    const f = await taskFixture((dir) => writeFiles(dir, { 'big.txt': text(big.slice(0, 10)) }))
    await writeFiles(f.ws, { 'big.txt': text(['first', ...big]) })
    expect((await keysOf(f)).get('big.txt')).toEqual([])
    const git = { gitDir: f.gitDir, env: { GIT_INDEX_FILE: join(f.gitDir, DIFF_INDEX_FILE) } }
    const hunk = parseFileHunks((await fileSection(git, f.baseline, 'big.txt')) ?? Buffer.alloc(0))?.[0]
    expect(hunk?.key).toMatch(/^[0-9a-f]{40}$/)
    const { tree } = await build(f, [{ path: 'big.txt', key: hunk?.key ?? '' }])
    expect((await show(f, tree, 'big.txt')).startsWith('first\nline 1\n')).toBe(true)
  })

  it('lets a whole-path exclusion win over a hunk selection', async () => {
    const f = await fixture()
    const [a1 = ''] = (await keysOf(f)).get('a.txt') ?? []
    const { tree, files } = await build(f, [{ path: 'a.txt', key: a1 }], ['a.txt'])
    expect(files).not.toContain('a.txt')
    expect(await show(f, tree, 'a.txt')).toBe(A_OLD)
  })
})

describe('buildResultTree with hunks left out, hostile workspace', () => {
  it('a file swapped for a symlink after the diff: the tree holds the staged link, nothing it points at', async () => {
    const f = await fixture()
    const [a1 = ''] = (await keysOf(f)).get('a.txt') ?? []
    await rm(join(f.ws, 'a.txt'))
    await symlink(join(f.ws, 'secret.txt'), join(f.ws, 'a.txt'))
    const { tree } = await build(f, [{ path: 'a.txt', key: a1 }])
    expect(await entryOf(f, tree, 'a.txt')).toMatch(/^120000 blob /)
    expect(await show(f, tree, 'a.txt')).toBe(join(f.ws, 'secret.txt'))
  })

  it('a FIFO where a selected file was: the selection of its last staged version', async () => {
    const f = await fixture()
    const keys = await keysOf(f)
    const [, a2 = ''] = keys.get('a.txt') ?? []
    const [n1 = ''] = keys.get('new.txt') ?? []
    await writeFile(join(f.ws, 'new.txt'), 'p\nq\nr\nwritten after the diff\n')
    await computeDiff({ ...f, workspace: f.ws })
    await rm(join(f.ws, 'new.txt'))
    execFileSync('mkfifo', [join(f.ws, 'new.txt')])
    await rm(join(f.ws, 'a.txt'))
    execFileSync('mkfifo', [join(f.ws, 'a.txt')])
    const { tree, skipped } = await build(f, [
      { path: 'new.txt', key: n1, lines: [0] }, // stale: the file changed since
      { path: 'a.txt', key: a2 },
    ])
    expect(skipped?.map((s) => s.path).sort()).toEqual(['a.txt', 'new.txt'])
    expect(await show(f, tree, 'new.txt')).toBe('p\nq\nr\nwritten after the diff\n')
    const a = numbered(30).flatMap((l, i) => (i === 1 ? ['TWO'] : i === 27 ? [l, 'NEW'] : [l]))
    expect(await show(f, tree, 'a.txt')).toBe(text(a))
  })

  it('a file named like pathspec magic gets its selection, and only it', async () => {
    const f = await taskFixture((dir) => writeFiles(dir, { ':(exclude)*.txt': 'a\nb\n', 'x.txt': 'a\nb\n' }))
    await writeFiles(f.ws, { ':(exclude)*.txt': 'a\nB\n', 'x.txt': 'a\nB\n' })
    const [k = ''] = (await keysOf(f)).get(':(exclude)*.txt') ?? []
    const { tree } = await build(f, [{ path: ':(exclude)*.txt', key: k, lines: [1] }])
    expect(await show(f, tree, ':(exclude)*.txt')).toBe('a\n')
    expect(await show(f, tree, 'x.txt')).toBe('a\nB\n')
  })
})
