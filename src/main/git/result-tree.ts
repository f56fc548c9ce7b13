import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { SkippedEntry } from '../../shared/diff'
import { AppError } from '../errors'
import { DIFF_INDEX_FILE } from './baseline'
import { parseDiffOutput, type RawEntry } from './diff-parse'
import { gitFailed, runGit } from './git'
import { serializePerGitDir } from './serialize'
import { copyIndex, repoOptions, stageAll, type StageTarget } from './stage'
import { indexInfoRecord, isRevision, treeChanges } from './tree-entries'

/**
 * The tree of the change the user accepted: the baseline plus the workspace's changes (edits saved
 * from the review included), minus the excluded paths, which keep their baseline version.
 *
 * The workspace is staged the way the diff stages it (ignored new files stay out, nested repositories
 * are staged as plain files) into a throw-away index seeded from the diff's, so neither the diff's
 * index nor anything else the review relies on changes. An excluded rename drops both of its sides.
 */
export interface ResultTreeOptions {
  gitDir: string
  workspace: string
  baseline: string
  /** Workspace-relative paths left out (either side of a rename excludes the whole rename). */
  excluded: string[]
  signal?: AbortSignal
}

export interface ResultTree {
  tree: string
  /** The paths that differ between the baseline and `tree` (a rename counts as its two paths), sorted. */
  files: string[]
  /** Workspace entries git could not stage (see DiffResult.skipped), left at their baseline version. */
  skipped?: SkippedEntry[]
}

/** Runs after any diff of the same git directory in progress (see serialize.ts). */
export async function buildResultTree(opts: ResultTreeOptions): Promise<ResultTree> {
  if (!isRevision(opts.baseline)) throw new AppError('invalid_input', 'The baseline commit is not valid.')
  const gitDir = resolve(opts.gitDir)
  return serializePerGitDir(gitDir, () => buildOnce(opts, gitDir))
}

async function buildOnce(opts: ResultTreeOptions, gitDir: string): Promise<ResultTree> {
  const target: StageTarget = {
    workspace: resolve(opts.workspace),
    gitDir,
    indexFile: join(gitDir, `codex-result-${randomUUID()}.index`),
    force: false,
    signal: opts.signal,
  }
  const git = repoOptions(target)
  try {
    await seedIndex(target, opts.baseline)
    const { skipped } = await stageAll(target, true)
    const excluded = new Set(opts.excluded)
    if (excluded.size > 0) {
      const records = restoreRecords(await stagedChanges(target, opts.baseline), excluded)
      if (records)
        await runGit(['update-index', '-z', '--replace', '--index-info'], { ...git, input: records })
    }
    const tree = (await runGit(['write-tree'], git)).stdout.trim()
    const changes = await treeChanges(opts.baseline, tree, git)
    const files = [...new Set(changes.map((c) => c.newPath))].sort(compare)
    return skipped.length > 0 ? { tree, files, skipped } : { tree, files }
  } catch (err) {
    throw gitFailed(err, 'Could not build the tree of the accepted changes')
  } finally {
    await rm(target.indexFile ?? '', { force: true })
  }
}

/** The diff's index holds the stat data of the last diff: copying it means only changed files get hashed. */
async function seedIndex(target: StageTarget, baseline: string): Promise<void> {
  try {
    await copyIndex(join(target.gitDir, DIFF_INDEX_FILE), target.indexFile ?? '')
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e
    await runGit(['read-tree', baseline], repoOptions(target))
  }
}

async function stagedChanges(target: StageTarget, baseline: string): Promise<RawEntry[]> {
  const args = ['diff-index', '--cached', '-z', '--raw', '-M', '--full-index', '--no-abbrev', baseline, '--']
  const res = await runGit(args, repoOptions(target))
  return parseDiffOutput(res.stdoutBuffer ?? Buffer.alloc(0)).entries
}

/** `--index-info` records putting every excluded change back to its baseline version; '' when none. */
function restoreRecords(changes: RawEntry[], excluded: Set<string>): string {
  let removals = ''
  let restores = ''
  for (const c of changes) {
    if (!excluded.has(c.oldPath) && !excluded.has(c.newPath)) continue
    // Removals first: a restored file may sit where an added directory was.
    if (c.status === 'A' || c.status === 'R') removals += indexInfoRecord('0', '', c.newPath)
    if (c.status !== 'A') restores += indexInfoRecord(c.oldMode, c.oldSha, c.oldPath)
  }
  return removals + restores
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
