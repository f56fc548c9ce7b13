import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { SkippedEntry } from '../../shared/diff'
import type { DiffHunk, HunkExclusion } from '../../shared/review'
import { AppError } from '../errors'
import { DIFF_INDEX_FILE } from './baseline'
import { readBlobs } from './blobs'
import { DEFAULT_MAX_INLINE_BYTES } from './diff'
import { parseDiffOutput, type RawEntry } from './diff-parse'
import { gitFailed, runGit, type GitOptions } from './git'
import { parseFileHunks } from './hunks'
import { exclusionsByFile, pathSections, selectedContent, type HunkSelection } from './partial-patch'
import { serializePerGitDir } from './serialize'
import { copyIndex, repoOptions, stageAll, type StageTarget } from './stage'
import { indexInfoRecord, isGitlinkMode, isRevision, isSymlinkMode, treeChanges } from './tree-entries'

/**
 * The tree of the change the user accepted: the baseline plus the workspace's changes (edits saved
 * from the review included), minus the excluded paths, which keep their baseline version.
 *
 * The workspace is staged the way the diff stages it (ignored new files stay out, nested repositories
 * are staged as plain files) into a throw-away index seeded from the diff's, so neither the diff's
 * index nor anything else the review relies on changes. An excluded rename drops both of its sides.
 *
 * A file with hunks (or lines) left out gets the content of only its other changes: computed from its
 * baseline blob and its section in the throw-away index (never from the workspace), so what is staged
 * is all that can reach the tree.
 */
export interface ResultTreeOptions {
  gitDir: string
  workspace: string
  baseline: string
  /** Workspace-relative paths left out (either side of a rename excludes the whole rename). */
  excluded: string[]
  /**
   * Hunks (or lines of them) left out of files otherwise kept. Keys no longer in the file are ignored;
   * a file with every change left out keeps its baseline version; a whole-path exclusion wins.
   */
  excludedHunks?: HunkExclusion[]
  signal?: AbortSignal
}

export interface ResultTree {
  tree: string
  /** The paths that differ between the baseline and `tree` (a rename counts as its two paths), sorted. */
  files: string[]
  /** Workspace entries git could not stage (see DiffResult.skipped), left at their baseline version. */
  skipped?: SkippedEntry[]
}

/** Runs after whichever diff of the same git directory is in progress (see serialize.ts). */
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
    const selections = exclusionsByFile(opts.excludedHunks ?? [])
    for (const path of excluded) selections.delete(path)
    if (excluded.size > 0 || selections.size > 0) {
      const changes = await stagedChanges(target, opts.baseline)
      const partial = await partialFiles(git, opts.baseline, changes, selections)
      for (const path of partial.wholly) excluded.add(path)
      const records = restoreRecords(changes, excluded) + partial.records
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

/** What the hunk selections make of their files: records of partial contents, paths left out whole. */
interface PartialFiles {
  records: string
  wholly: Set<string>
}

/** A text file added, deleted or modified with its mode unchanged: the changes the diff gives hunks. */
const isSelectable = (c: RawEntry): boolean =>
  (c.status === 'A' || c.status === 'D' || (c.status === 'M' && c.oldMode === c.newMode)) &&
  ![c.oldMode, c.newMode].some((m) => isSymlinkMode(m) || isGitlinkMode(m))

async function partialFiles(
  git: GitOptions,
  baseline: string,
  changes: RawEntry[],
  selections: Map<string, HunkSelection>,
): Promise<PartialFiles> {
  const wholly = new Set<string>()
  const files = changes.filter((c) => selections.has(c.newPath) && isSelectable(c))
  if (files.length === 0) return { records: '', wholly }
  const sections = await pathSections(
    git,
    baseline,
    files.map((c) => c.newPath),
  )
  const olds = files.filter((c) => c.status !== 'A').map((c) => c.oldSha)
  const blobs = (await readBlobs(olds, Number.POSITIVE_INFINITY, git)).contents
  const partial: { entry: RawEntry; content: Buffer }[] = []
  for (const entry of files) {
    const found = sections.get(entry.newPath)
    const section = found?.sections.length === 1 ? found.sections[0] : undefined
    const old = entry.status === 'A' ? Buffer.alloc(0) : blobs.get(entry.oldSha)
    const outcome = section && old ? selectionOf(section, old, selections.get(entry.newPath)) : 'stale'
    if (outcome === 'whole') wholly.add(entry.newPath)
    else if (outcome !== 'stale') partial.push({ entry, content: outcome })
  }
  const shas: string[] = []
  for (let i = 0; i < partial.length; i += HASH_PROCESSES) {
    const batch = partial.slice(i, i + HASH_PROCESSES)
    shas.push(...(await Promise.all(batch.map((p) => hashBlob(git, p.content)))))
  }
  const records = partial.map(({ entry }, i) =>
    indexInfoRecord(entry.status === 'D' ? entry.oldMode : entry.newMode, shas[i] ?? '', entry.newPath),
  )
  return { records: records.join(''), wholly }
}

/**
 * A file's content with `selection` applied; 'whole' when it leaves out every change; 'stale' when the
 * diff gives the file no such hunks (none of the keys, a binary file, contents too large to show).
 */
function selectionOf(
  section: Buffer,
  old: Buffer,
  wanted: HunkSelection | undefined,
): Buffer | 'whole' | 'stale' {
  const hunks = parseFileHunks(section)
  if (!hunks || !wanted || old.length > DEFAULT_MAX_INLINE_BYTES) return 'stale'
  const selection = currentSelection(hunks, wanted)
  if (selection.size === 0) return 'stale'
  const full = selectedContent(old, section, new Map())
  if (!full) throw new Error('A staged change does not apply to its baseline version')
  if (full.length > DEFAULT_MAX_INLINE_BYTES) return 'stale'
  if (leavesOutEverything(hunks, selection)) return 'whole'
  return selectedContent(old, section, selection) ?? 'stale'
}

/** The selection's entries for hunks the file still has (older keys are stale). */
function currentSelection(hunks: DiffHunk[], selection: HunkSelection): HunkSelection {
  const keys = new Set(hunks.map((h) => h.key))
  return new Map([...selection].filter(([key]) => keys.has(key)))
}

function leavesOutEverything(hunks: DiffHunk[], selection: HunkSelection): boolean {
  return hunks.every((h) => {
    const sel = selection.get(h.key)
    return sel === 'all' || (sel !== undefined && h.changes.every((_, i) => sel.has(i)))
  })
}

/** `hash-object` processes at a time. */
const HASH_PROCESSES = 8

async function hashBlob(git: GitOptions, content: Buffer): Promise<string> {
  const res = await runGit(['hash-object', '-w', '--no-filters', '--stdin'], { ...git, input: content })
  return res.stdout.trim()
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
