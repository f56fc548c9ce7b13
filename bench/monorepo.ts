import { copyFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createBaseline, DIFF_INDEX_FILE } from '../src/main/git/baseline'
import { computeDiff } from '../src/main/git/diff'
import { importFolder } from '../src/main/sources/folder'
import { importGitUrl } from '../src/main/sources/git-url'
import { startGitServer } from '../test/support/git-server'
import { alternate, flushDisk, timeCommand, timeIt } from './support/measure'
import { monorepoTree, type MonorepoStats } from './support/monorepo'
import {
  git,
  gitFolder,
  importFromGitObjects,
  listFiles,
  manyEntriesZip,
  sh,
  timeCommandAsync,
  turnChange,
} from './support/monorepo-steps'
import type { BenchResult } from './types'
import { importInChild } from './zip'

const ROUNDS = 3
const CLONE_ROUNDS = 3
const MiB = 1024 ** 2
const RSS_BUDGET_MB = 150
/** The turn: 400 edits, 50 deletions, 50 new files. */
const TURN_EDITS = 400
const TURN_EXTRA = 50

const count = (n: number): string => n.toLocaleString('en-US')
const result = (r: Omit<BenchResult, 'ratio'> & { ratio?: number }): BenchResult => ({
  ...r,
  ratio: r.ratio ?? r.ours / r.base,
})

/** Folder import against `cp -r`; leaves `ours-0` (the imported workspace) in `dir`. */
async function folderImport(tree: MonorepoStats, dir: string): Promise<BenchResult> {
  const t = await alternate(
    ROUNDS,
    (round) => timeCommand('cp', ['-r', tree.dir, join(dir, `cp-${round}`)]),
    (round) => timeIt(() => importFolder({ source: tree.dir, dest: join(dir, `ours-${round}`) })),
  )
  for (let round = 0; round < ROUNDS; round++) await rm(join(dir, `cp-${round}`), { recursive: true })
  for (let round = 1; round < ROUNDS; round++) await rm(join(dir, `ours-${round}`), { recursive: true })
  return result({
    name: `monorepo folder import, ${count(tree.files)} files`,
    baseline: 'cp -r',
    ...t,
    target: 1.2,
    note:
      `${(tree.bytes / MiB).toFixed(0)} MiB; cp copies all, we skip the ${count(tree.ignoredFiles)} ignored ` +
      `files (${(tree.ignoredBytes / MiB).toFixed(0)} MiB: node_modules, dist); median of ${ROUNDS} alternating`,
  })
}

/** ZIP of ≥ 50,000 entries against `unzip -q`, and the import's peak RSS growth. */
function zipImport(workDir: string, tree: MonorepoStats, dir: string): BenchResult[] {
  const { archive, entries } = manyEntriesZip(workDir, tree)
  flushDisk()
  const base = timeCommand('unzip', ['-q', archive, '-d', join(dir, 'unzip')])
  flushDisk()
  const child = importInChild(archive, join(dir, 'zip-ours'))
  return [
    result({
      name: `monorepo zip import, ${count(entries)} entries`,
      baseline: 'unzip -q',
      ours: child.seconds,
      base,
      target: 1.0,
      note: `${child.files} files written, one run each (unzip first), importZip in a child process`,
    }),
    result({
      name: `monorepo zip import peak RSS growth, ${count(entries)} entries`,
      unit: 'MB',
      baseline: `${RSS_BUDGET_MB} MB budget`,
      ours: child.growth / 1e6,
      base: RSS_BUDGET_MB,
      target: 1,
      note: 'VmHWM of the importing child minus its RSS just before the import',
    }),
  ]
}

/** A folder that is a git repository: the product's copy against a checkout from git's objects. */
async function gitFolderImport(tree: MonorepoStats, dir: string): Promise<BenchResult> {
  const source = join(dir, 'git-folder')
  gitFolder(tree, source)
  const t = await alternate(
    ROUNDS,
    (round) =>
      timeIt(async () => importFromGitObjects(source, join(dir, `objects-${round}`), join(dir, 'gf.index'))),
    (round) => timeIt(() => importFolder({ source, dest: join(dir, `copy-${round}`) })),
  )
  const same = sh(`diff -r -q objects-0 copy-0 | wc -l`, dir).trim()
  return result({
    name: 'monorepo git-repository folder: copy vs checkout from git objects',
    baseline: 'read-tree + checkout-index + uncommitted copied (measurement only)',
    ...t,
    target: Infinity,
    note: `${same} differing paths between the two results; ratio < 1 means copying is faster`,
  })
}

/** importGitUrl against `git clone --depth 1` of the same URL on a local git server over HTTP. */
async function cloneImport(dir: string): Promise<BenchResult> {
  const server = await startGitServer()
  try {
    const bare = join(server.root, 'monorepo.git')
    git(['clone', '-q', '--bare', join(dir, 'git-folder'), bare], dir)
    // Served from a pack, as a hosting service serves: from loose objects, the server's delta search
    // (~80 s here) would be most of every clone, the same for both sides, and hide the clients' costs.
    git(['repack', '-a', '-d', '-q'], bare)
    const url = `${server.baseUrl}/monorepo.git`
    const rounds: string[] = []
    const t = await alternate(
      CLONE_ROUNDS,
      async (round) => {
        const dest = join(dir, `clone-cli-${round}`)
        const seconds = await timeCommandAsync('git', ['clone', '-q', '--depth', '1', url, dest])
        rounds.push(`git ${seconds.toFixed(2)}`)
        return seconds
      },
      async (round) => {
        const dest = join(dir, `clone-ours-${round}`)
        const seconds = await timeIt(() => importGitUrl({ url, dest, allowLocalHttp: true }))
        rounds.push(`ours ${seconds.toFixed(2)}`)
        return seconds
      },
    )
    for (let round = 0; round < CLONE_ROUNDS; round++) {
      await rm(join(dir, `clone-cli-${round}`), { recursive: true })
      await rm(join(dir, `clone-ours-${round}`), { recursive: true })
    }
    return result({
      name: 'monorepo git clone over HTTP (127.0.0.1)',
      baseline: 'git clone --depth 1',
      ...t,
      target: 1.1,
      note:
        `git http-backend behind node:http (test/support/git-server.ts), a packed repository; ` +
        `median of ${CLONE_ROUNDS} alternating (${rounds.join(', ')} s)`,
    })
  } finally {
    await server.close()
  }
}

/** The baseline commit, then a 500-file turn and its diff, each against the git CLI on a copy. */
async function baselineAndDiff(tree: MonorepoStats, dir: string): Promise<BenchResult[]> {
  const ours = join(dir, 'ours-0')
  const gitDir = join(dir, 'ours-git')
  const cli = join(dir, 'cli')
  sh(`cp -r ours-0 cli`, dir)
  let baseline = ''
  // Each round commits the whole tree afresh: a new git directory on both sides.
  const commit = await alternate(
    ROUNDS,
    async () => {
      await rm(join(cli, '.git'), { recursive: true, force: true })
      return timeCommand(
        'sh',
        [
          '-c',
          'git init -q && git config gc.auto 0 && git add -A && ' +
            'git -c user.name=b -c user.email=b@b commit -q -m base',
        ],
        { cwd: cli },
      )
    },
    async () => {
      await rm(gitDir, { recursive: true, force: true })
      return timeIt(async () => {
        baseline = await createBaseline({ workspace: ours, gitDir })
      })
    },
  )
  await copyFile(join(gitDir, DIFF_INDEX_FILE), join(dir, 'ours.index'))
  await copyFile(join(cli, '.git', 'index'), join(dir, 'cli.index'))
  const files = listFiles(ours, 'ts')
  turnChange(ours, files, TURN_EDITS, TURN_EXTRA)
  turnChange(cli, files, TURN_EDITS, TURN_EXTRA)

  let changed = 0
  const runCli = async (): Promise<number> => {
    await copyFile(join(dir, 'cli.index'), join(cli, '.git', 'index'))
    return timeCommand('sh', ['-c', 'git add -A && git diff --cached'], { cwd: cli })
  }
  const runOurs = async (): Promise<number> => {
    await copyFile(join(dir, 'ours.index'), join(gitDir, DIFF_INDEX_FILE))
    return timeIt(async () => {
      changed = (await computeDiff({ workspace: ours, gitDir, baseline })).files
    })
  }
  await runCli() // warm-up: both sides write the new objects once
  await runOurs()
  const diff = await alternate(ROUNDS, runCli, runOurs)
  const changes = TURN_EDITS + 2 * TURN_EXTRA
  if (changed !== changes) throw new Error(`computeDiff found ${changed} changed files, expected ${changes}`)
  return [
    result({
      name: `monorepo baseline commit, ${count(tree.files - tree.ignoredFiles)}-file imported workspace`,
      baseline: 'git add -A && git commit',
      ...commit,
      target: 1.5,
      note: `median of ${ROUNDS} alternating, each a fresh git directory, on copies of the imported workspace`,
    }),
    result({
      name: `monorepo diff after a ${changes}-file turn`,
      baseline: 'git add -A && git diff --cached',
      ...diff,
      target: 1.5,
      note: `${changed} files in the diff, median of ${ROUNDS} after a warm-up round each`,
    }),
  ]
}

/**
 * A ~30,000-file, ~300 MB JavaScript-monorepo-shaped tree (bench/support/monorepo.ts, generated once):
 * folder import, a ≥ 50,000-entry ZIP, a git clone over HTTP, the baseline and a 500-file turn's diff,
 * each against its command-line baseline in the same run; plus copy vs git-objects for a git repository.
 */
export default async function run(workDir: string): Promise<BenchResult[]> {
  const tree = await monorepoTree(workDir)
  const dir = join(workDir, 'monorepo', 'run')
  await rm(dir, { recursive: true, force: true })
  sh(`mkdir -p "${dir}"`, workDir)
  try {
    const results = [await folderImport(tree, dir)]
    results.push(...zipImport(workDir, tree, dir))
    await rm(join(dir, 'unzip'), { recursive: true })
    await rm(join(dir, 'zip-ours'), { recursive: true })
    results.push(await gitFolderImport(tree, dir))
    results.push(await cloneImport(dir))
    results.push(...(await baselineAndDiff(tree, dir)))
    return results
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
