import { join, resolve } from 'node:path'
import type { DiffResult, FileDiff, FileStatus } from '../../shared/diff'
import type { DiffHunk } from '../../shared/review'
import { AppError } from '../errors'
import { DIFF_INDEX_FILE } from './baseline'
import { newSides, readFiles, resolveContents, type Contents, type EntrySections } from './contents'
import {
  GITLINK_MODE,
  NULL_SHA,
  PATCH_FORMAT_ARGS,
  entryStats,
  parseDiffOutput,
  sectionsPerEntry,
  type ParsedDiff,
  type PatchStats,
  type RawEntry,
} from './diff-parse'
import { gitFailed, runGit } from './git'
import { parseFileHunks } from './hunks'
import { isSymlinkMode } from './tree-entries'
import { pathExists } from '../util/fs'
import { serializePerGitDir } from './serialize'
import { repoOptions, stageAll, stageAroundNestedRepos, type StageTarget } from './stage'

/**
 * The workspace against its baseline: everything is staged into the diff's private index (HEAD never
 * moves), then ONE `git diff --cached --raw --patch --binary` gives the records (status, modes, blob
 * ids, renames) and the patch, from which line counts and binary detection are read, so git diffs
 * the contents once. Contents: see contents.ts.
 */
export interface DiffOptions {
  workspace: string
  gitDir: string
  baseline: string
  /** Larger text files are listed with contentOmitted; default 1 MiB. */
  maxInlineBytes?: number
  signal?: AbortSignal
}

export const DEFAULT_MAX_INLINE_BYTES = 1024 * 1024

const STATUS: Record<string, FileStatus> = {
  A: 'added',
  D: 'deleted',
  M: 'modified',
  R: 'renamed',
  T: 'type_changed',
}

/** Concurrent calls for one git directory run one after the other (they share the diff's index). */
export async function computeDiff(opts: DiffOptions): Promise<DiffResult> {
  const gitDir = resolve(opts.gitDir)
  return serializePerGitDir(gitDir, () => diffOnce(opts, gitDir))
}

async function diffOnce(opts: DiffOptions, gitDir: string): Promise<DiffResult> {
  const maxInline = opts.maxInlineBytes ?? DEFAULT_MAX_INLINE_BYTES
  const target = diffIndexTarget(opts.workspace, gitDir, opts.signal)
  if (!opts.baseline || opts.baseline.startsWith('-')) {
    throw new AppError('invalid_input', 'The baseline commit is not valid.')
  }
  try {
    await seedDiffIndex(target, opts.baseline)
    const { changed, skipped } = await stageAll(target, false)
    // While git computes the patch, read (and hash) what `git add` reported as changed: the new
    // sides of modified files, verified against the blob ids once the diff has named them.
    const firstDiff = diffAgainst(target, opts.baseline)
    const dirsSeen = new Set<string>()
    const reading = readFiles(target.workspace, changed, maxInline, dirsSeen)
    let full = await firstDiff
    if (full.entries.some((e) => e.newMode === GITLINK_MODE)) {
      skipped.push(...(await stageAroundNestedRepos(target)).skipped)
      full = await diffAgainst(target, opts.baseline)
    }
    const fromDisk = newSides(target.workspace, full.entries, await reading, maxInline, dirsSeen)
    const files = diffItems(full)
    const contents = await resolveContents(files, fromDisk, maxInline, repoOptions(target))
    const result = buildDiffResult(files, full.patch, contents)
    if (skipped.length > 0) result.skipped = skipped
    return result
  } catch (err) {
    throw gitFailed(err, 'Could not compute the changes in the workspace')
  }
}

async function diffAgainst(target: StageTarget, baseline: string): Promise<ParsedDiff> {
  const args = ['diff', '--cached', '-z', '--raw', '--patch', '--no-abbrev', ...PATCH_FORMAT_ARGS]
  const res = await runGit([...args, baseline, '--'], repoOptions(target))
  return parseDiffOutput(res.stdoutBuffer ?? Buffer.alloc(0))
}

const isGitlink = (e: RawEntry): boolean => e.oldMode === GITLINK_MODE || e.newMode === GITLINK_MODE

/** The workspace staged into the diff's own index (what computeDiff and the turn snapshots stage). */
export function diffIndexTarget(workspace: string, gitDir: string, signal?: AbortSignal): StageTarget {
  const dir = resolve(gitDir)
  const indexFile = join(dir, DIFF_INDEX_FILE)
  return { workspace: resolve(workspace), gitDir: dir, indexFile, force: false, signal }
}

/** The diff's index starts as the baseline's tree when there is none yet (then it is only refreshed). */
export async function seedDiffIndex(target: StageTarget, baseline: string): Promise<void> {
  if (!(await pathExists(target.indexFile ?? ''))) await runGit(['read-tree', baseline], repoOptions(target))
}

/** A raw entry with its patch sections and line counts: what a DiffResult is built from. */
export type DiffItem = EntrySections & { stats: PatchStats }

/** Each raw entry of `parsed` with its patch sections and line counts, gitlinks left out. */
export function diffItems(parsed: ParsedDiff): DiffItem[] {
  const items = sectionsPerEntry(parsed.entries, parsed.patch).map((sections, i): DiffItem => {
    const stats = entryStats(sections)
    return { entry: parsed.entries[i] as RawEntry, sections, binary: stats.binary, stats }
  })
  return items.filter((item) => !isGitlink(item.entry))
}

/** The DiffResult of raw entries (gitlinks left out), the whole patch, and their contents. */
export function buildDiffResult(items: DiffItem[], patch: Buffer, contents: Contents): DiffResult {
  const side = (
    sha: string,
    present: boolean,
    binary: boolean,
  ): { text: string | null; omitted: boolean } => {
    if (!present || binary || sha === NULL_SHA) return { text: null, omitted: false }
    const buf = contents.get(sha)
    if (buf) return { text: buf.toString('utf8'), omitted: false }
    return { text: null, omitted: contents.tooLarge(sha) }
  }
  const fileDiffs = items.map(({ entry, sections, stats: stat }): FileDiff => {
    const status = STATUS[entry.status] ?? 'modified'
    const hasOld = status !== 'added'
    const hasNew = status !== 'deleted'
    const oldSide = side(entry.oldSha, hasOld, stat.binary)
    const newSide = side(entry.newSha, hasNew, stat.binary)
    const omitted = oldSide.omitted || newSide.omitted
    const hunks = omitted || stat.binary ? null : selectableHunks(entry, sections)
    const file: FileDiff = {
      oldPath: hasOld ? entry.oldPath : null,
      newPath: hasNew ? entry.newPath : null,
      status,
      additions: stat.additions,
      deletions: stat.deletions,
      oldContent: oldSide.text,
      newContent: newSide.text,
      binary: stat.binary,
      contentOmitted: omitted,
      oldMode: hasOld ? entry.oldMode : null,
      newMode: hasNew ? entry.newMode : null,
    }
    if (hunks) file.hunks = hunks
    return file
  })
  fileDiffs.sort((a, b) => compare(sortKey(a), sortKey(b)))
  return {
    files: fileDiffs.length,
    additions: fileDiffs.reduce((n, f) => n + f.additions, 0),
    deletions: fileDiffs.reduce((n, f) => n + f.deletions, 0),
    fileDiffs,
    patch: patch.toString('utf8'),
  }
}

/**
 * The hunks of a file that can be selected finer than whole: a text file added, deleted or modified
 * with its mode unchanged, no symbolic link (renames and type changes stay whole-file); else null.
 */
function selectableHunks(entry: RawEntry, sections: Buffer[]): DiffHunk[] | null {
  if (sections.length !== 1 || isSymlinkMode(entry.oldMode) || isSymlinkMode(entry.newMode)) return null
  if (entry.status === 'M' && entry.oldMode !== entry.newMode) return null
  if (entry.status !== 'A' && entry.status !== 'D' && entry.status !== 'M') return null
  return parseFileHunks(sections[0] as Buffer)
}

const sortKey = (f: FileDiff): string => f.newPath ?? f.oldPath ?? ''
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
