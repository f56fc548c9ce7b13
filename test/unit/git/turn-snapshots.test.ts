import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DiffResult, FileDiff } from '../../../src/shared/diff'
import { recordBaseline } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { diffBetween, snapshotWorkspace, writeBlob } from '../../../src/main/git/turn-snapshots'
import { appErrorOf, writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** Per-turn snapshots (git/turn-snapshots.ts) on a task-like workspace and private git dir. */
interface Task {
  ws: string
  gitDir: string
  baseline: string
  snap: (turn: number, at: 'start' | 'end') => Promise<string>
  wholeDiff: () => Promise<DiffResult>
  git: (...args: string[]) => Promise<string>
}

async function task(files: Record<string, string | Buffer>): Promise<Task> {
  const root = await tempDir('codex-turns-')
  const ws = join(root, 'workspace')
  const gitDir = join(root, 'git')
  await mkdir(ws, { recursive: true })
  await writeFiles(ws, files)
  const { commit: baseline } = await recordBaseline({ workspace: ws, gitDir })
  return {
    ws,
    gitDir,
    baseline,
    snap: (turn, at) => snapshotWorkspace({ workspace: ws, gitDir, baseline, turn, at }),
    wholeDiff: () => computeDiff({ workspace: ws, gitDir, baseline }),
    git: async (...args) => (await runGit(args, { gitDir })).stdout.trim(),
  }
}

const summary = (d: DiffResult): Array<[string, string | null, string | null, string | null]> =>
  d.fileDiffs.map((f) => [f.status, f.newPath ?? f.oldPath, f.oldContent, f.newContent])

const byPath = (d: DiffResult, path: string): FileDiff | undefined =>
  d.fileDiffs.find((f) => (f.newPath ?? f.oldPath) === path)

describe('turn snapshots', () => {
  it("gives each turn exactly its own change, while the task's diff stays whole", async () => {
    const t = await task({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'keep.txt': 'k\n' })
    const start1 = await t.snap(1, 'start')
    await writeFile(join(t.ws, 'a.txt'), 'a1\n')
    const end1 = await t.snap(1, 'end')
    const start2 = await t.snap(2, 'start')
    await writeFile(join(t.ws, 'c.txt'), 'c\n')
    await rm(join(t.ws, 'b.txt'))
    const end2 = await t.snap(2, 'end')

    const turn1 = await diffBetween({ gitDir: t.gitDir, from: start1, to: end1 })
    expect(summary(turn1)).toEqual([['modified', 'a.txt', 'a\n', 'a1\n']])
    expect(turn1.files).toBe(1)
    const turn2 = await diffBetween({ gitDir: t.gitDir, from: start2, to: end2 })
    // a.txt changed in turn 1 and not since: not part of turn 2.
    expect(summary(turn2)).toEqual([
      ['deleted', 'b.txt', 'b\n', null],
      ['added', 'c.txt', null, 'c\n'],
    ])
    expect(byPath(turn2, 'c.txt')).toMatchObject({
      additions: 1,
      deletions: 0,
      oldMode: null,
      newMode: '100644',
    })
    expect(turn2.patch).not.toContain('a.txt')

    expect(summary(await t.wholeDiff())).toEqual([
      ['modified', 'a.txt', 'a\n', 'a1\n'],
      ['deleted', 'b.txt', 'b\n', null],
      ['added', 'c.txt', null, 'c\n'],
    ])
  })

  it('keeps each snapshot under its ref, as a commit on the baseline', async () => {
    const t = await task({ 'a.txt': 'a\n' })
    const start = await t.snap(3, 'start')
    await writeFile(join(t.ws, 'a.txt'), 'a3\n')
    const end = await t.snap(3, 'end')
    expect(await t.git('rev-parse', 'refs/codex/turns/3/start')).toBe(start)
    expect(await t.git('rev-parse', 'refs/codex/turns/3/end')).toBe(end)
    expect(await t.git('rev-parse', `${end}^`)).toBe(t.baseline)
    expect(await t.git('log', '-1', '--format=%s|%an|%ae', end)).toBe(
      'turn 3 end|codex-sys|codex-sys@localhost',
    )
    expect(await t.git('show', `${end}:a.txt`)).toBe('a3')
    // The baseline branch and HEAD never move.
    expect(await t.git('rev-parse', 'HEAD')).toBe(t.baseline)
  })

  it('leaves the diff index a valid stat cache: an edit right after a snapshot still shows', async () => {
    const t = await task({ 'a.txt': 'one\n', 'b.txt': 'bee\n' })
    await writeFile(join(t.ws, 'a.txt'), 'two\n')
    await t.snap(1, 'end')
    // Same size, same second as the snapshot's staging: only a careful index notices.
    await writeFile(join(t.ws, 'a.txt'), 'six\n')
    expect(summary(await t.wholeDiff())).toEqual([['modified', 'a.txt', 'one\n', 'six\n']])
    await writeFile(join(t.ws, 'b.txt'), 'BEE\n')
    const end = await t.snap(2, 'end')
    expect(await t.git('show', `${end}:b.txt`)).toBe('BEE')
    expect(summary(await t.wholeDiff()).map((row) => row[1])).toEqual(['a.txt', 'b.txt'])
  })

  it('runs in the same queue as the diff: many at once neither collide on the index nor fail', async () => {
    const files = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`src/f${i}.txt`, `${i}\n`]))
    const t = await task(files)
    for (let i = 0; i < 400; i += 2) await writeFile(join(t.ws, `src/f${i}.txt`), `changed ${i}\n`)
    const runs = Array.from({ length: 4 }, (_, i) => [t.snap(i + 1, 'end'), t.wholeDiff()]).flat()
    const done = await Promise.all(runs)
    const snap = done[0] as string
    expect(await t.git('show', `${snap}:src/f0.txt`)).toBe('changed 0')
    expect((done[1] as DiffResult).files).toBe(200)
  })

  it('stages a nested repository as its files, never as a gitlink', async () => {
    const t = await task({ 'a.txt': 'a\n' })
    const start = await t.snap(1, 'start')
    await writeFiles(t.ws, { 'sub/code.ts': 'x\n' })
    await runGit(['init', '-q'], { cwd: join(t.ws, 'sub') })
    await runGit(['add', '-A'], { cwd: join(t.ws, 'sub') })
    await runGit(['commit', '-q', '-m', 'c'], { cwd: join(t.ws, 'sub') })
    const end = await t.snap(1, 'end')
    expect(await t.git('ls-tree', '-r', end)).not.toContain('160000')
    const turn = await diffBetween({ gitDir: t.gitDir, from: start, to: end })
    expect(summary(turn)).toEqual([['added', 'sub/code.ts', null, 'x\n']])
    expect(summary(await t.wholeDiff())).toEqual([['added', 'sub/code.ts', null, 'x\n']])
  })

  it('reads contents from the snapshots only, never from the workspace as it is now', async () => {
    const binary = Buffer.from([0, 1, 2, 255, 0, 10])
    const t = await task({ 'a.txt': 'a\n', 'img.bin': binary })
    const start = await t.snap(1, 'start')
    await writeFile(join(t.ws, 'a.txt'), 'turn one\n')
    await writeFile(join(t.ws, 'img.bin'), Buffer.concat([binary, binary]))
    const end = await t.snap(1, 'end')
    await writeFile(join(t.ws, 'a.txt'), 'later, by turn two\n')
    const turn = await diffBetween({ gitDir: t.gitDir, from: start, to: end })
    expect(summary(turn)).toEqual([
      ['modified', 'a.txt', 'a\n', 'turn one\n'],
      ['modified', 'img.bin', null, null],
    ])
    expect(byPath(turn, 'img.bin')?.binary).toBe(true)
    expect(turn.patch).toContain('GIT binary patch')
  })

  it('marks a text file over the inline limit as omitted', async () => {
    const t = await task({ 'big.txt': 'x\n' })
    const start = await t.snap(1, 'start')
    await writeFile(join(t.ws, 'big.txt'), 'y'.repeat(200) + '\n')
    const end = await t.snap(1, 'end')
    const turn = await diffBetween({ gitDir: t.gitDir, from: start, to: end, maxInlineBytes: 100 })
    expect(byPath(turn, 'big.txt')).toMatchObject({
      oldContent: 'x\n',
      newContent: null,
      contentOmitted: true,
    })
  })

  it.each(['--output=/tmp/owned', '-p', '', 'a b', 'x\0y'])(
    'refuses %j as a commit to compare',
    async (rev) => {
      const t = await task({ 'a.txt': 'a\n' })
      const err = await appErrorOf(diffBetween({ gitDir: t.gitDir, from: rev, to: t.baseline }))
      expect(err.kind).toBe('invalid_input')
      expect((await appErrorOf(diffBetween({ gitDir: t.gitDir, from: t.baseline, to: rev }))).kind).toBe(
        'invalid_input',
      )
    },
  )

  it('refuses a bad baseline or turn before touching git', async () => {
    const t = await task({ 'a.txt': 'a\n' })
    const opts = { workspace: t.ws, gitDir: t.gitDir, baseline: t.baseline, at: 'end' as const }
    expect((await appErrorOf(snapshotWorkspace({ ...opts, turn: 1, baseline: '--all' }))).kind).toBe(
      'invalid_input',
    )
    for (const turn of [-1, 1.5, Number.NaN]) {
      expect((await appErrorOf(snapshotWorkspace({ ...opts, turn }))).kind).toBe('internal')
    }
    expect(await t.git('for-each-ref', 'refs/codex')).toBe('')
  })
})

describe('writeBlob', () => {
  it('stores the bytes exactly as given (no filters) and returns their id', async () => {
    const t = await task({ 'a.txt': 'a\n' })
    const content = Buffer.from('line one\r\nline two\n\0binary\xff', 'latin1')
    const id = await writeBlob(t.gitDir, content)
    expect(id).toMatch(/^[0-9a-f]{40}$/)
    const back = await runGit(['cat-file', 'blob', id], { gitDir: t.gitDir })
    expect(back.stdoutBuffer?.equals(content)).toBe(true)
    expect(await writeBlob(t.gitDir, content)).toBe(id)
  })
})
