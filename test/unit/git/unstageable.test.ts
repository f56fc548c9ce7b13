import { execFileSync } from 'node:child_process'
import { mkdir, rm, unlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { recordBaseline } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/**
 * Entries git cannot stage — a FIFO or socket where a tracked file was, names git refuses with
 * core.protectNTFS/protectHFS on — are left out and reported, and everything else is staged: a hostile
 * repository or agent cannot make a task unreviewable or unpublishable.
 */
async function workspace(
  files: Record<string, string>,
): Promise<{ root: string; ws: string; gitDir: string }> {
  const root = await tempDir('codex-unstageable-')
  const ws = join(root, 'workspace')
  await mkdir(ws)
  await writeFiles(ws, files)
  return { root, ws, gitDir: join(root, 'git') }
}

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', [path])
}

async function bindSocket(path: string): Promise<void> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, resolve)
  })
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
}

const paths = (d: { fileDiffs: Array<{ newPath: string | null; oldPath: string | null }> }): string[] =>
  d.fileDiffs.map((f) => f.newPath ?? f.oldPath ?? '')

describe('staging what git cannot stage', () => {
  it('a FIFO and a socket at tracked paths: the diff still works and lists them as left out', async () => {
    const { ws, gitDir } = await workspace({ pipe: 'was a file\n', sock: 'was a file\n', 'a.txt': 'a\n' })
    const { commit: baseline, skipped: atBaseline } = await recordBaseline({ workspace: ws, gitDir })
    expect(atBaseline).toEqual([])
    await unlink(join(ws, 'pipe'))
    mkfifo(join(ws, 'pipe'))
    await unlink(join(ws, 'sock'))
    await bindSocket(join(ws, 'sock'))
    await writeFile(join(ws, 'a.txt'), 'A\n')
    await writeFile(join(ws, 'new.txt'), 'new\n')

    const d = await computeDiff({ workspace: ws, gitDir, baseline })
    expect(paths(d)).toEqual(['a.txt', 'new.txt'])
    expect(d.skipped).toEqual([
      { path: 'pipe', reason: 'is a FIFO' },
      { path: 'sock', reason: 'is a socket' },
    ])
    expect(d.fileDiffs[0]?.newContent).toBe('A\n')

    // The accepted change holds the other files; the FIFO's path keeps its baseline version.
    const result = await buildResultTree({ workspace: ws, gitDir, baseline, excluded: [] })
    expect(result.files).toEqual(['a.txt', 'new.txt'])
    expect(result.skipped?.map((s) => s.path)).toEqual(['pipe', 'sock'])
    const pipe = await runGit(['cat-file', 'blob', `${result.tree}:pipe`], { gitDir })
    expect(pipe.stdout).toBe('was a file\n')
  })

  it('names git refuses (.git aliases) are left out of the diff, with the reason', async () => {
    const { ws, gitDir } = await workspace({ 'a.txt': 'a\n' })
    const { commit: baseline } = await recordBaseline({ workspace: ws, gitDir })
    await writeFiles(ws, {
      'GIT~1/hooks/pre-commit': '#!/bin/sh\necho owned\n',
      '.git./hooks/post-checkout': '#!/bin/sh\n',
      '.g\u200cit/hooks/pre-push': '#!/bin/sh\n',
      'src/ok.ts': 'export {}\n',
    })
    const d = await computeDiff({ workspace: ws, gitDir, baseline })
    expect(paths(d)).toEqual(['src/ok.ts'])
    expect(d.skipped?.map((s) => s.path)).toEqual([
      '.git./hooks/post-checkout',
      '.g\u200cit/hooks/pre-push',
      'GIT~1/hooks/pre-commit',
    ])
    expect(d.skipped?.every((s) => s.reason.startsWith('is a name git refuses'))).toBe(true)
    expect(d.patch).not.toContain('owned')
  })

  it('the baseline leaves them out too, and says so', async () => {
    const { ws, gitDir } = await workspace({ 'a.txt': 'a\n', 'GIT~1/config': '[core]\n' })
    mkfifo(join(ws, 'fifo'))
    const { commit, skipped } = await recordBaseline({ workspace: ws, gitDir })
    // An untracked FIFO is not something git adds at all (nothing to report); the refused name is.
    expect(skipped).toEqual([
      { path: 'GIT~1/config', reason: expect.stringMatching(/^is a name git refuses/) },
    ])
    const files = (await runGit(['ls-tree', '-r', '--name-only', commit], { gitDir })).stdout
    expect(files.trim().split('\n')).toEqual(['a.txt'])
  })

  it('a refused name inside a nested repository is left out, its other files staged', async () => {
    const { ws, gitDir } = await workspace({ 'a.txt': 'a\n' })
    const { commit: baseline } = await recordBaseline({ workspace: ws, gitDir })
    await writeFiles(ws, { 'sub/code.ts': 'x\n', 'sub/git~1/hooks/pre-commit': 'evil\n' })
    await runGit(['init', '-q'], { cwd: join(ws, 'sub') })
    const d = await computeDiff({ workspace: ws, gitDir, baseline })
    expect(paths(d)).toEqual(['sub/code.ts'])
    expect(d.skipped?.map((s) => s.path)).toEqual(['sub/git~1/hooks/pre-commit'])
  })

  it('nothing is reported (no `skipped` at all) once the entry is gone', async () => {
    const { ws, gitDir } = await workspace({ pipe: 'file\n' })
    const { commit: baseline } = await recordBaseline({ workspace: ws, gitDir })
    await unlink(join(ws, 'pipe'))
    mkfifo(join(ws, 'pipe'))
    expect((await computeDiff({ workspace: ws, gitDir, baseline })).skipped).toHaveLength(1)
    await rm(join(ws, 'pipe'))
    const d = await computeDiff({ workspace: ws, gitDir, baseline })
    expect(d.skipped).toBeUndefined()
    expect(paths(d)).toEqual(['pipe'])
  })
})

describe('git’s own protections', () => {
  it('are on in the private git directory’s config and in every git we run', async () => {
    const { ws, gitDir } = await workspace({ 'a.txt': 'a\n' })
    await recordBaseline({ workspace: ws, gitDir })
    const raw = (args: string[]) =>
      execFileSync('git', [`--git-dir=${gitDir}`, ...args], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: '/dev/null',
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_CONFIG_GLOBAL: '/dev/null',
        },
      }).trim()
    expect(raw(['config', '--bool', 'core.protectNTFS'])).toBe('true')
    expect(raw(['config', '--bool', 'core.protectHFS'])).toBe('true')
    const hardened = await runGit(['config', '--bool', 'core.protectNTFS'], {
      gitDir: join(gitDir, 'nowhere'),
    })
    expect(hardened.stdout.trim()).toBe('true')
  })
})

describe('concurrent diffs of one task', () => {
  it('three at once all succeed with identical results', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 300; i++) files[`src/f${i}.txt`] = `file ${i}\n`
    const { ws, gitDir } = await workspace(files)
    const { commit: baseline } = await recordBaseline({ workspace: ws, gitDir })
    for (let i = 0; i < 300; i += 3) await writeFile(join(ws, `src/f${i}.txt`), `changed ${i}\n`)
    const results = await Promise.all([1, 2, 3].map(() => computeDiff({ workspace: ws, gitDir, baseline })))
    expect(results[0]?.files).toBe(100)
    expect(results[1]).toEqual(results[0])
    expect(results[2]).toEqual(results[0])
    // A result tree at the same time waits its turn as well.
    const [diff, tree] = await Promise.all([
      computeDiff({ workspace: ws, gitDir, baseline }),
      buildResultTree({ workspace: ws, gitDir, baseline, excluded: [] }),
    ])
    expect(tree.files).toHaveLength(diff.files)
  })
})
