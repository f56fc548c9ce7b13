import { join, resolve } from 'node:path'
import type { DiffResult } from '../../shared/diff'
import { AppError } from '../errors'
import { pathExists } from '../util/fs'
import { DIFF_INDEX_FILE } from './baseline'
import { resolveContents } from './contents'
import { buildDiffResult, DEFAULT_MAX_INLINE_BYTES, type DiffItem } from './diff'
import {
  entryStats,
  parseDiffOutput,
  PATCH_FORMAT_ARGS,
  sectionsPerEntry,
  type ParsedDiff,
} from './diff-parse'
import { gitFailed, runGit, type GitOptions } from './git'
import { serializePerGitDir } from './serialize'
import { repoOptions, stageAll, type StageTarget } from './stage'
import { isGitlinkMode, isRevision } from './tree-entries'

/**
 * Per-turn snapshots in the task's private git dir: a commit of the workspace as it is (staged the way
 * the diff stages it, into the diff's index) under `refs/codex/turns/<turn>/<start|end>`. A turn's own
 * diff is its start → its end.
 */
export interface SnapshotOptions {
  workspace: string
  gitDir: string
  baseline: string
  turn: number
  at: 'start' | 'end'
  signal?: AbortSignal
}

/** The ref a snapshot is kept under. */
export const turnRef = (turn: number, at: 'start' | 'end'): string => `refs/codex/turns/${turn}/${at}`

/**
 * Commits the workspace as it is now; returns the commit. It stages into the diff's own index exactly
 * as computeDiff does (that index is the stat cache of the next diff, so it stays what computeDiff
 * expects), in the same per-git-dir queue, then writes the tree and a commit whose parent is the baseline.
 */
export async function snapshotWorkspace(opts: SnapshotOptions): Promise<string> {
  if (!isRevision(opts.baseline)) throw new AppError('invalid_input', 'The baseline commit is not valid.')
  if (!Number.isSafeInteger(opts.turn) || opts.turn < 0 || (opts.at !== 'start' && opts.at !== 'end')) {
    throw new AppError('internal', 'A turn snapshot needs a turn number and "start" or "end".', {
      details: { turn: opts.turn, at: opts.at },
    })
  }
  const gitDir = resolve(opts.gitDir)
  const target: StageTarget = {
    workspace: resolve(opts.workspace),
    gitDir,
    indexFile: join(gitDir, DIFF_INDEX_FILE),
    force: false,
    signal: opts.signal,
  }
  return serializePerGitDir(gitDir, async () => {
    try {
      return await commitWorkspace(target, opts)
    } catch (err) {
      throw gitFailed(err, `Could not record the workspace at the ${opts.at} of turn ${opts.turn}`)
    }
  })
}

async function commitWorkspace(target: StageTarget, opts: SnapshotOptions): Promise<string> {
  const git = repoOptions(target)
  // As computeDiff: the diff index starts from the baseline when there is none yet.
  if (!(await pathExists(target.indexFile ?? ''))) await runGit(['read-tree', opts.baseline], git)
  // `verify`: a nested repository staged as a gitlink is staged as its files instead (stageAroundNestedRepos).
  await stageAll(target, true)
  const tree = (await runGit(['write-tree'], git)).stdout.trim()
  const message = `turn ${opts.turn} ${opts.at}`
  const commit = (await runGit(['commit-tree', tree, '-p', opts.baseline, '-m', message], git)).stdout.trim()
  await runGit(['update-ref', turnRef(opts.turn, opts.at), commit], git)
  return commit
}

/** The diff between two commits of the private git dir (contents from the object store, hunks included). */
export async function diffBetween(opts: {
  gitDir: string
  from: string
  to: string
  maxInlineBytes?: number
  signal?: AbortSignal
}): Promise<DiffResult> {
  if (!isRevision(opts.from) || !isRevision(opts.to)) {
    throw new AppError('invalid_input', 'The commits to compare are not valid.', {
      details: { from: opts.from, to: opts.to },
    })
  }
  const gitDir = resolve(opts.gitDir)
  const git: GitOptions = { cwd: gitDir, gitDir, signal: opts.signal }
  const maxInline = opts.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES
  try {
    const parsed = await diffCommits(git, opts.from, opts.to)
    const files = diffItems(parsed).filter(
      ({ entry }) => !isGitlinkMode(entry.oldMode) && !isGitlinkMode(entry.newMode),
    )
    // Nothing from the workspace: every content is a blob of the object store (or its patch section).
    const contents = await resolveContents(files, new Map(), maxInline, git)
    return buildDiffResult(files, parsed.patch, contents)
  } catch (err) {
    throw gitFailed(err, 'Could not compute the changes of the turn')
  }
}

async function diffCommits(git: GitOptions, from: string, to: string): Promise<ParsedDiff> {
  const args = ['diff', '-z', '--raw', '--patch', '--no-abbrev', ...PATCH_FORMAT_ARGS, from, to, '--']
  const res = await runGit(args, git)
  return parseDiffOutput(res.stdoutBuffer ?? Buffer.alloc(0))
}

/** Each raw entry with its patch sections and line counts (as computeDiff builds them). */
function diffItems(parsed: ParsedDiff): DiffItem[] {
  const sectionsOf = sectionsPerEntry(parsed.entries, parsed.patch)
  return parsed.entries.map((entry, i) => {
    const sections = sectionsOf[i] ?? []
    const stats = entryStats(sections)
    return { entry, sections, binary: stats.binary, stats }
  })
}

/** Stores `content` as a blob of the private git dir (for undo); returns its id. */
export async function writeBlob(gitDir: string, content: Buffer): Promise<string> {
  const dir = resolve(gitDir)
  try {
    const res = await runGit(['hash-object', '-w', '--no-filters', '--stdin'], {
      cwd: dir,
      gitDir: dir,
      input: content,
    })
    return res.stdout.trim()
  } catch (err) {
    throw gitFailed(err, 'Could not keep a copy of the discarded content')
  }
}
