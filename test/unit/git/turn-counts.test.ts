import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { recordBaseline } from '../../../src/main/git/baseline'
import { diffBetween, snapshotTurnEnd, snapshotWorkspace } from '../../../src/main/git/turn-snapshots'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { appErrorOf, writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** A turn's end counts its own diff with `--numstat` on the diff index (snapshotTurnEnd): as diffBetween does. */
describe('snapshotTurnEnd', () => {
  it('counts what diffBetween counts: edits, additions, deletions, a rename, a binary file, odd names', async () => {
    const root = await tempDir('codex-counts-')
    const ws = join(root, 'workspace')
    const gitDir = join(root, 'git')
    await mkdir(ws, { recursive: true })
    const long = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n'
    await writeFiles(ws, {
      'a.txt': 'a\nb\nc\n',
      'gone.txt': 'g\n',
      'old name.txt': long,
      'bin.dat': Buffer.from([0, 1, 2]),
    })
    const { commit: baseline } = await recordBaseline({ workspace: ws, gitDir })
    await writeFile(join(ws, 'a.txt'), 'a\nb\nc\nstart\n')
    const start = await snapshotWorkspace({ workspace: ws, gitDir, baseline, turn: 2, at: 'start' })
    await writeFiles(ws, {
      'a.txt': 'a\nB\nc\nd\n',
      'new\tname\n.txt': 'x\ny\n',
      'bin.dat': Buffer.from([0, 9, 9, 9]),
      'renamed.txt': long.replace('line 3\n', 'line three\n'),
    })
    await rm(join(ws, 'gone.txt'))
    await rm(join(ws, 'old name.txt'))
    await writeFile(join(ws, '--output=x'), 'o\n')
    // As a turn's end: the diff first (it stages the index), then the snapshot of that index.
    await computeDiff({ workspace: ws, gitDir, baseline })
    const { end, counts } = await snapshotTurnEnd({ workspace: ws, gitDir, baseline, turn: 2, since: start })
    const full = await diffBetween({ gitDir, from: start, to: end })
    // The staged index committed is the workspace as staging it again gives it (same tree).
    const again = await snapshotWorkspace({ workspace: ws, gitDir, baseline, turn: 3, at: 'end' })
    const tree = async (commit: string) =>
      (await runGit(['rev-parse', `${commit}^{tree}`], { gitDir })).stdout
    expect(await tree(end)).toBe(await tree(again))
    expect([counts.files, counts.additions, counts.deletions]).toEqual([
      full.files,
      full.additions,
      full.deletions,
    ])
    expect(counts.files).toBe(6)
    const touched = full.fileDiffs.flatMap((f) =>
      [f.oldPath, f.newPath].filter((p): p is string => p !== null),
    )
    expect([...new Set(counts.paths)].sort()).toEqual([...new Set(touched)].sort())
    expect(counts.paths).toContain('new\tname\n.txt')
    expect(counts.paths).toContain('old name.txt')
  })

  it.each(['--output=/tmp/owned', 'HEAD', 'refs/codex/turns/1/end', 'a..b'])(
    'refuses %j as the turn start',
    async (rev) => {
      const root = await tempDir('codex-counts-')
      const place = {
        workspace: join(root, 'ws'),
        gitDir: join(root, 'git'),
        baseline: '0'.repeat(40),
        turn: 2,
      }
      const err = await appErrorOf(snapshotTurnEnd({ ...place, since: rev }))
      expect(err.message).toBe('The commits to compare are not valid.')
    },
  )
})
