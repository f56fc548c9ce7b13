import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { DiffResult, FileDiff } from '../../shared/diff'
import type { DiffHunk, DiscardInput, DiscardRecord, DiscardUndo } from '../../shared/review'
import { visibleName } from '../../shared/visible-name'
import { AppError } from '../errors'
import { DIFF_INDEX_FILE } from '../git/baseline'
import { readBlobs } from '../git/blobs'
import { computeDiff } from '../git/diff'
import type { GitOptions } from '../git/git'
import { fileSection, onlySelection, partialPatch, selectedContent } from '../git/partial-patch'
import { repoOptions } from '../git/stage'
import { isSymlinkMode } from '../git/tree-entries'
import { writeBlob } from '../git/turn-snapshots'
import { readWorkspaceFileSync } from '../util/workspace-read'
import { restoreWorkspaceEntry, saveWorkspaceFile } from './workspace-edit'

/**
 * Discard: a file, a hunk or lines of one put back as the baseline has them, in the workspace itself
 * (so the agent's next turn sees them gone). What was there before is kept as blobs of the private git
 * dir, so the newest discard can be undone byte for byte until the next turn starts.
 *
 * Runs with the workspace to itself (no container alive: WorkspaceGate), on a fresh diff; every read of
 * the workspace refuses symbolic links in every component and every write goes through workspace-edit.ts.
 */
export interface DiscardPlace {
  workspace: string
  gitDir: string
  baseline: string
}

/** The largest file a discard keeps a copy of for its undo. */
const MAX_UNDO_BYTES = 256 * 1024 * 1024

/** Discards the change `input` names; returns what it did and the diff after it. */
export async function discardChange(
  place: DiscardPlace,
  input: DiscardInput,
): Promise<{ record: DiscardRecord; diff: DiffResult }> {
  const before = await computeDiff(place)
  const file = changedFile(before, input.path)
  if (isSymlinkMode(file.oldMode ?? '') || isSymlinkMode(file.newMode ?? '')) {
    throw new AppError(
      'invalid_input',
      `"${visibleName(input.path)}" is a symbolic link on one side: it cannot be discarded; exclude it instead.`,
      { hint: 'Leave the file out of what gets published.', details: { path: input.path } },
    )
  }
  const git = diffIndexGit(place)
  const done =
    input.hunk === undefined
      ? await discardFile(place, git, file)
      : await discardHunk(place, git, file, input.hunk, input.lines)
  const record: DiscardRecord = {
    id: randomUUID(),
    at: new Date().toISOString(),
    path: input.path,
    ...(input.hunk !== undefined ? { hunk: input.hunk } : {}),
    ...(input.lines ? { lines: sortedUnique(input.lines) } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
    patch: done.patch,
    undo: done.undo,
  }
  return { record, diff: await computeDiff(place) }
}

/** Puts back what `record` discarded, exactly as it was (its undo's blobs); returns the diff after it. */
export async function undoDiscardRecord(place: DiscardPlace, record: DiscardRecord): Promise<DiffResult> {
  const git: GitOptions = { cwd: place.gitDir, gitDir: place.gitDir }
  const blobs = record.undo.flatMap((u) => (u.blob ? [u.blob] : []))
  const { contents } = await readBlobs(blobs, Infinity, git)
  // The removed side first (a rename's new path), then what comes back.
  const ordered = [...record.undo].sort((a, b) => Number(a.blob !== null) - Number(b.blob !== null))
  for (const entry of ordered) {
    if (!entry.blob || !entry.mode) {
      await restoreWorkspaceEntry(place.workspace, entry.path, null)
      continue
    }
    const content = contents.get(entry.blob)
    if (!content) throw new AppError('internal', 'The copy kept for this undo is missing.')
    await restoreWorkspaceEntry(place.workspace, entry.path, { content, mode: entry.mode })
  }
  return computeDiff(place)
}

/** The file of the diff that `path` names (its new path, or its old one when deleted). */
export function changedFile(diff: DiffResult, path: string): FileDiff {
  const file = diff.fileDiffs.find((f) => (f.newPath ?? f.oldPath) === path)
  if (file) return file
  throw new AppError('invalid_input', `"${visibleName(path)}" is not a changed file of this task.`, {
    hint: 'Reload the review: the diff may have changed.',
    details: { path },
  })
}

/** The hunk of `file` that `key` names. */
export function hunkOf(file: FileDiff, path: string, key: string): DiffHunk {
  if (!file.hunks) {
    throw new AppError(
      'invalid_input',
      `"${visibleName(path)}" can only be taken whole (a binary file, a rename, a mode change, a symbolic link or too large to show).`,
      { details: { path } },
    )
  }
  const hunk = file.hunks.find((h) => h.key === key)
  if (hunk) return hunk
  throw new AppError('invalid_input', `"${visibleName(path)}" no longer has that hunk.`, {
    hint: 'Reload the review: the diff changed since.',
    details: { path, key },
  })
}

/** True when `i` indexes one of `hunk`'s changes (an integer within them). */
export const isChangeOf = (hunk: DiffHunk, i: number): boolean =>
  Number.isInteger(i) && i >= 0 && i < hunk.changes.length

/** Checks that `lines` index changes of `hunk`. */
export function checkLines(hunk: DiffHunk, path: string, lines: readonly number[] | undefined): void {
  const bad = lines?.find((i) => !isChangeOf(hunk, i))
  if (bad === undefined) return
  throw new AppError(
    'invalid_input',
    `Hunk ${hunk.header} of "${visibleName(path)}" has ${hunk.changes.length} changed lines; there is no line ${bad}.`,
    { details: { path, key: hunk.key, line: bad } },
  )
}

export const sortedUnique = (list: readonly number[]): number[] => [...new Set(list)].sort((a, b) => a - b)

function diffIndexGit(place: DiscardPlace): GitOptions {
  const indexFile = join(place.gitDir, DIFF_INDEX_FILE)
  return repoOptions({ workspace: place.workspace, gitDir: place.gitDir, indexFile, force: false })
}

interface Done {
  patch: string
  undo: DiscardUndo[]
}

/** The whole file back as the baseline has it: an added one removed, a rename's old path back. */
async function discardFile(place: DiscardPlace, git: GitOptions, file: FileDiff): Promise<Done> {
  const paths = [...new Set([file.oldPath, file.newPath].filter((p): p is string => p !== null))]
  const undo = await Promise.all(paths.map((p) => currentEntry(place, file, p)))
  const sections = await Promise.all(paths.map((p) => fileSection(git, place.baseline, p)))
  const oldSection = file.oldPath ? (sections[paths.indexOf(file.oldPath)] ?? null) : null
  const original = file.oldPath && file.oldMode ? await baselineContent(place, oldSection, file) : null
  if (file.newPath && file.newPath !== file.oldPath)
    await restoreWorkspaceEntry(place.workspace, file.newPath, null)
  if (file.oldPath && file.oldMode && original) {
    await restoreWorkspaceEntry(place.workspace, file.oldPath, { content: original, mode: file.oldMode })
  }
  return { patch: sections.map((s) => s?.toString('utf8') ?? '').join(''), undo }
}

/** A hunk (or some of its lines) taken out of the file: the rest of its change stays. */
async function discardHunk(
  place: DiscardPlace,
  git: GitOptions,
  file: FileDiff,
  key: string,
  lines: readonly number[] | undefined,
): Promise<Done> {
  const path = (file.newPath ?? file.oldPath) as string
  const hunk = hunkOf(file, path, key)
  checkLines(hunk, path, lines)
  const section = await fileSection(git, place.baseline, path)
  if (!section) throw changedMeanwhile(path)
  const original = file.oldPath ? await baselineContent(place, section, file) : Buffer.alloc(0)
  const left = new Map([[key, lines ? new Set(lines) : ('all' as const)]])
  const content = selectedContent(original, section, left)
  if (!content) throw changedMeanwhile(path)
  const undo = [await currentEntry(place, file, path)]
  const patch = partialPatch(section, onlySelection(section, key, lines)).toString('utf8')
  if (file.newPath) {
    const mode = file.newMode === '100755' ? 0o755 : 0o644
    await saveWorkspaceFile(place.workspace, path, content, { mode })
  } else {
    await restoreWorkspaceEntry(place.workspace, path, { content, mode: file.oldMode ?? '100644' })
  }
  return { patch, undo }
}

/** What the workspace has at `path` now, kept as a blob (null when the path is absent there). */
async function currentEntry(place: DiscardPlace, file: FileDiff, path: string): Promise<DiscardUndo> {
  if (path !== file.newPath) return { path, blob: null, mode: null }
  const read = readWorkspaceFileSync(place.workspace, path, { maxBytes: MAX_UNDO_BYTES })
  if (!read.ok) {
    throw new AppError('invalid_input', `"${visibleName(path)}" cannot be discarded: ${read.message}`, {
      hint: 'Leave the file out of what gets published instead.',
      details: { path, reason: read.reason },
    })
  }
  const blob = await writeBlob(place.gitDir, read.content)
  return { path, blob, mode: file.newMode === '100755' ? '100755' : '100644' }
}

/** The baseline's bytes of the file: the blob its patch section names as the old side. */
async function baselineContent(place: DiscardPlace, section: Buffer | null, file: FileDiff): Promise<Buffer> {
  const path = file.oldPath ?? ''
  const sha = section ? oldBlobId(section) : undefined
  if (!sha) throw changedMeanwhile(path)
  const { contents } = await readBlobs([sha], Infinity, { cwd: place.gitDir, gitDir: place.gitDir })
  const content = contents.get(sha)
  if (!content) throw changedMeanwhile(path)
  return content
}

/** The old side's blob id in a section's `index <old>..<new>` line (full ids: PATCH_FORMAT_ARGS). */
function oldBlobId(section: Buffer): string | undefined {
  const head = section.subarray(0, Math.min(section.length, 8192)).toString('latin1')
  const match = /^index ([0-9a-f]{40,64})\.\.[0-9a-f]{40,64}/m.exec(head)
  return match?.[1]
}

function changedMeanwhile(path: string): AppError {
  return new AppError('conflict', `The change of "${visibleName(path)}" could not be taken apart.`, {
    hint: 'Reload the review and try again.',
    details: { path },
  })
}
