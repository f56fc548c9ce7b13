import { resolve } from 'node:path'
import type { DiffResult } from '../../shared/diff'
import { AppError } from '../errors'
import { resolveContents } from './contents'
import { buildDiffResult, DEFAULT_MAX_INLINE_BYTES, diffIndexTarget, diffItems, seedDiffIndex } from './diff'
import { parseDiffOutput, PATCH_FORMAT_ARGS, type ParsedDiff } from './diff-parse'
import { gitFailed, runGit, type GitOptions } from './git'
import { serializePerGitDir } from './serialize'
import { repoOptions, stageAll, type StageTarget } from './stage'
import { isObjectId, isRevision } from './tree-entries'

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
  /**
   * computeDiff staged the diff index just now, with the workspace held (no container, no edit): commit
   * that index as it is instead of staging the workspace again (a turn's end, right after its diff).
   */
  staged?: boolean
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
  const target = snapshotTarget(opts)
  return serializePerGitDir(target.gitDir, () => recordSnapshot(target, opts))
}

/** The diff index a snapshot commits, once its options are checked. */
function snapshotTarget(opts: SnapshotOptions): StageTarget {
  if (!isRevision(opts.baseline)) throw new AppError('invalid_input', 'The baseline commit is not valid.')
  if (!Number.isSafeInteger(opts.turn) || opts.turn < 0 || (opts.at !== 'start' && opts.at !== 'end')) {
    throw new AppError('internal', 'A turn snapshot needs a turn number and "start" or "end".', {
      details: { turn: opts.turn, at: opts.at },
    })
  }
  return diffIndexTarget(opts.workspace, opts.gitDir, opts.signal)
}

async function recordSnapshot(target: StageTarget, opts: SnapshotOptions): Promise<string> {
  try {
    return await commitWorkspace(target, opts)
  } catch (err) {
    throw gitFailed(err, `Could not record the workspace at the ${opts.at} of turn ${opts.turn}`)
  }
}

async function commitWorkspace(target: StageTarget, opts: SnapshotOptions): Promise<string> {
  const git = repoOptions(target)
  // As computeDiff: the diff index starts from the baseline when there is none yet.
  await seedDiffIndex(target, opts.baseline)
  // `verify`: a nested repository staged as a gitlink is staged as its files instead (stageAroundNestedRepos).
  if (!opts.staged) await stageAll(target, true)
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
  // Commit ids only (what a snapshot records): never an option, a ref name, a range or a path.
  if (!isObjectId(opts.from) || !isObjectId(opts.to)) {
    throw new AppError('invalid_input', 'The commits to compare are not valid.', {
      details: { from: opts.from, to: opts.to },
    })
  }
  const gitDir = resolve(opts.gitDir)
  const git: GitOptions = { cwd: gitDir, gitDir, signal: opts.signal }
  const maxInline = opts.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES
  try {
    const parsed = await diffCommits(git, opts.from, opts.to)
    const files = diffItems(parsed)
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

/** What a turn's end keeps of its own diff: the counts, and every path it touched (both sides of a rename). */
export interface TurnCounts {
  files: number
  additions: number
  deletions: number
  paths: string[]
}

/**
 * A turn's end, right after computeDiff staged the diff index with the workspace held: that index
 * committed as snapshotWorkspace with `staged` does, while the turn's own counts since `since` (its
 * start) are read from the same index (`git diff --cached --numstat`: no patch, no content), both in
 * the diff's queue. Binary files count no lines.
 */
export async function snapshotTurnEnd(
  opts: Omit<SnapshotOptions, 'at' | 'staged'> & { since: string },
): Promise<{ end: string; counts: TurnCounts }> {
  if (!isObjectId(opts.since)) {
    throw new AppError('invalid_input', 'The commits to compare are not valid.', {
      details: { since: opts.since },
    })
  }
  const snapshot: SnapshotOptions = { ...opts, at: 'end', staged: true }
  const target = snapshotTarget(snapshot)
  const format = PATCH_FORMAT_ARGS.filter((a) => a !== '--binary' && a !== '--full-index')
  const args = ['diff', '--cached', '-z', '--numstat', ...format, opts.since, '--']
  const count = async (): Promise<TurnCounts> => {
    try {
      return parseNumstat((await runGit(args, repoOptions(target))).stdout)
    } catch (err) {
      throw gitFailed(err, `Could not count the changes of turn ${opts.turn}`)
    }
  }
  // One slot of the queue for both: the index is only read meanwhile (write-tree swaps it atomically).
  return serializePerGitDir(target.gitDir, async () => {
    const [end, counts] = await Promise.all([recordSnapshot(target, snapshot), count()])
    return { end, counts }
  })
}

/** `--numstat -z`: `<added>\t<deleted>\t<path>\0`, or `<added>\t<deleted>\t\0<old>\0<new>\0` for a rename. */
export function parseNumstat(out: string): TurnCounts {
  const fields = out.split('\0')
  const counts: TurnCounts = { files: 0, additions: 0, deletions: 0, paths: [] }
  for (let i = 0; i < fields.length; i++) {
    const match = /^(\d+|-)\t(\d+|-)\t([\s\S]*)$/.exec(fields[i] ?? '')
    if (!match) continue
    counts.files++
    counts.additions += match[1] === '-' ? 0 : Number(match[1])
    counts.deletions += match[2] === '-' ? 0 : Number(match[2])
    if (match[3] !== '') counts.paths.push(match[3] as string)
    else counts.paths.push(fields[++i] ?? '', fields[++i] ?? '')
  }
  return counts
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
