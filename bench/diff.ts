import { spawnSync } from 'node:child_process'
import { copyFile, readFile, rm, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createBaseline, DIFF_INDEX_FILE } from '../src/main/git/baseline'
import { computeDiff } from '../src/main/git/diff'
import { alternate, timeCommand, timeIt } from './support/measure'
import { makeTree } from './support/tree'
import type { BenchResult } from './types'

const FILES = 10_000
const CHANGED = 1_000
const ROUNDS = 3

function sh(cmd: string, cwd: string): void {
  const res = spawnSync('sh', ['-c', cmd], { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr?.toString()}`)
}

function listFiles(dir: string): string[] {
  const res = spawnSync('find', ['.', '-type', 'f', '-name', '*.ts'], { cwd: dir, encoding: 'utf8' })
  return res.stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.slice(2))
    .sort()
}

/** The same 1,000 changes in a tree: 800 edits, 100 deletions, 100 new files. */
async function change(dir: string, files: string[]): Promise<void> {
  const edits = files.slice(0, 800)
  const deletions = files.slice(800, 900)
  await Promise.all(
    edits.map(async (rel, i) => {
      const text = await readFile(join(dir, rel), 'utf8')
      const lines = text.split('\n')
      lines.splice(Math.floor(lines.length / 2), 1, `// edited ${i}`, `export const v${i} = ${i}`)
      await writeFile(join(dir, rel), lines.join('\n'))
    }),
  )
  await Promise.all(deletions.map((rel) => unlink(join(dir, rel))))
  await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      writeFile(join(dir, `added-${i}.ts`), `export const added = ${i}\n`.repeat(20)),
    ),
  )
}

/**
 * Diff after 1,000 changed files in a 10,000-file tree: computeDiff (stage + structured diff + patch +
 * contents) against `git add -A && git diff --cached` on the CLI in a copy with its own .git (target ≤ 1.5×).
 * Each round starts from the index as the baseline left it, so both sides hash the changed files again.
 */
export default async function run(workDir: string): Promise<BenchResult[]> {
  const dir = join(workDir, 'diff')
  await rm(dir, { recursive: true, force: true })
  const source = join(dir, 'source')
  const stats = await makeTree(source, { files: FILES })
  const ours = join(dir, 'ours')
  const gitDir = join(dir, 'ours-git')
  const cli = join(dir, 'cli')
  sh(`cp -r "${source}" "${ours}" && cp -r "${source}" "${cli}"`, dir)

  const baseline = await createBaseline({ workspace: ours, gitDir })
  // gc.auto=0: committing 10,000 loose objects would otherwise start a background gc mid-measurement.
  sh(
    'git init -q && git config gc.auto 0 && git add -A && git -c user.name=b -c user.email=b@b commit -q -m base',
    cli,
  )
  await copyFile(join(gitDir, DIFF_INDEX_FILE), join(dir, 'ours.index'))
  await copyFile(join(cli, '.git', 'index'), join(dir, 'cli.index'))

  const candidates = listFiles(source)
  if (candidates.length < 900) throw new Error(`only ${candidates.length} .ts files in the tree`)
  await change(ours, candidates)
  await change(cli, candidates)

  let files = 0
  const runCli = async (): Promise<number> => {
    await copyFile(join(dir, 'cli.index'), join(cli, '.git', 'index'))
    return timeCommand('sh', ['-c', 'git add -A && git diff --cached'], { cwd: cli })
  }
  const runOurs = async (): Promise<number> => {
    await copyFile(join(dir, 'ours.index'), join(gitDir, DIFF_INDEX_FILE))
    return timeIt(async () => {
      files = (await computeDiff({ workspace: ours, gitDir, baseline })).files
    })
  }
  // One untimed round each first: both sides write the new objects then, and our code gets compiled.
  await runCli()
  await runOurs()
  const times = await alternate(ROUNDS, runCli, runOurs)
  await rm(dir, { recursive: true, force: true })
  if (files < CHANGED) throw new Error(`computeDiff found ${files} changed files, expected ${CHANGED}`)
  return [
    {
      name: `diff after ${CHANGED.toLocaleString('en-US')} changed files (${FILES.toLocaleString('en-US')}-file tree)`,
      baseline: 'git add -A && git diff --cached',
      ours: times.ours,
      base: times.base,
      ratio: times.ratio,
      target: 1.5,
      note: `${files} files in the diff, ${(stats.bytes / 1024 ** 2).toFixed(0)} MiB tree, median of ${ROUNDS} after a warm-up round each, fresh copies`,
    },
  ]
}
