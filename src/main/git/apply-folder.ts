import { lstat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { AppError } from '../errors'
import { applyOnBranch } from './apply-branch'
import { writeAllOrNothing, type FileWrite } from './apply-writes'
import { linksAsFilesWarning } from '../sources/link-fallback'
import { diskEntry } from './blob-hash'
import { readBlobs } from './blobs'
import type { RawEntry } from './diff-parse'
import { gitFailed, type GitOptions } from './git'
import { assertSafeChanges } from './safe-changes'
import { isGitlinkMode, isObjectId, isSymlinkMode, treeChanges, type Change } from './tree-entries'

export type { Change } from './tree-entries'

/**
 * Applying the accepted change to the user's original folder.
 *
 * 'files': every touched file must still be what it was when the task started (its blob id equals the
 * baseline's, or it does not exist for an added file), or nothing is written and the conflicting paths
 * are listed. Then the changes are written all or nothing (see apply-writes.ts).
 * 'branch': see apply-branch.ts — a new branch in the folder's repository, working tree untouched.
 */
export interface ApplyToFolderOptions {
  folder: string
  gitDir: string
  baseline: string
  tree: string
  /** The paths to apply (from buildResultTree). */
  files: string[]
  mode: 'files' | 'branch'
  branch?: string
  author: { name: string; email: string }
  /** The commit message in 'branch' mode. */
  message?: string
}

export interface ApplyToFolderResult {
  written: string[]
  /** What the user should know (symlinks written as files where the folder's disk has none). */
  warnings?: string[]
  branch?: string
  commit?: string
}

export async function applyToFolder(opts: ApplyToFolderOptions): Promise<ApplyToFolderResult> {
  if (!isObjectId(opts.baseline) || !isObjectId(opts.tree)) {
    throw new AppError('invalid_input', 'The baseline or the tree to apply is not valid.')
  }
  const folder = resolve(opts.folder)
  const info = await lstat(folder).catch(() => null)
  if (!info?.isDirectory()) {
    throw new AppError('not_found', `The folder ${folder} no longer exists.`, {
      hint: 'Export a .patch or a ZIP instead.',
    })
  }
  const git: GitOptions = { gitDir: resolve(opts.gitDir) }
  let changes: Change[]
  try {
    changes = toChanges(await treeChanges(opts.baseline, opts.tree, git), opts.files)
  } catch (err) {
    throw gitFailed(err, 'Could not read the changes to apply')
  }
  // Before anything is written (files) or copied into the folder's repository (branch).
  assertSafeChanges(changes)
  if (opts.mode === 'branch') return applyOnBranch({ ...opts, folder, changes })
  return applyFiles(folder, changes, git)
}

export function toChanges(entries: RawEntry[], files: string[]): Change[] {
  const wanted = new Set(files)
  const out: Change[] = []
  for (const e of entries) {
    if (!wanted.has(e.newPath)) continue
    if (isGitlinkMode(e.oldMode) || isGitlinkMode(e.newMode)) continue
    out.push({
      path: e.newPath,
      old: e.status === 'A' ? undefined : { mode: e.oldMode, sha: e.oldSha },
      new: e.status === 'D' ? undefined : { mode: e.newMode, sha: e.newSha },
    })
  }
  return out
}

async function applyFiles(folder: string, changes: Change[], git: GitOptions): Promise<ApplyToFolderResult> {
  const conflicts = await findConflicts(folder, changes)
  if (conflicts.length > 0) {
    const shown = conflicts.slice(0, 20).join(', ')
    const more = conflicts.length > 20 ? ` and ${conflicts.length - 20} more` : ''
    throw new AppError(
      'conflict',
      `These files changed in the folder since the task started: ${shown}${more}.`,
      {
        hint: 'Nothing was written. Keep or undo your edits there, then apply again, or export a .patch instead.',
        details: { paths: conflicts },
      },
    )
  }
  let contents: Map<string, Buffer>
  const shas = changes.flatMap((c) => (c.new ? [c.new.sha] : []))
  try {
    contents = (await readBlobs(shas, Number.MAX_SAFE_INTEGER, git)).contents
  } catch (err) {
    throw gitFailed(err, 'Could not read the changed files')
  }
  const deletions = changes.filter((c) => !c.new).map((c) => c.path)
  const writes: FileWrite[] = []
  for (const c of changes) {
    if (!c.new) continue
    const content = contents.get(c.new.sha)
    if (!content) throw new AppError('internal', `The new content of ${c.path} is missing.`)
    writes.push({ path: c.path, content, mode: c.new.mode })
  }
  // Deepest deletions first, so emptied directories go before their parents.
  deletions.sort((a, b) => b.split('/').length - a.split('/').length || compare(a, b))
  let linksAsFiles: string[]
  try {
    ;({ linksAsFiles } = await writeAllOrNothing(folder, deletions, writes))
  } catch (err) {
    throw writeFailed(err)
  }
  const warnings = linksAsFiles.length ? [linksAsFilesWarning(linksAsFiles, 'The folder')] : []
  return { written: changes.map((c) => c.path).sort(compare), warnings }
}

/** Paths whose current state in the folder is not the baseline's (or is in the way of an added file). */
export async function findConflicts(folder: string, changes: Change[]): Promise<string[]> {
  const deleted = new Set(changes.filter((c) => c.old && !c.new).map((c) => c.path))
  const conflicts = new Set<string>()
  for (const c of changes) {
    if (await blockedParent(folder, c.path, deleted)) conflicts.add(c.path)
    const now = await diskEntry(join(folder, c.path))
    if (c.old) {
      const kind = isSymlinkMode(c.old.mode) ? 'symlink' : 'file'
      // A symlink kept as a file holding its target (a disk without symlinks: git's core.symlinks=false
      // form) is the same entry: its blob is the target's bytes.
      const sameKind = now.kind === kind || (kind === 'symlink' && now.kind === 'file')
      if ((now.kind !== 'file' && now.kind !== 'symlink') || !sameKind || now.sha !== c.old.sha)
        conflicts.add(c.path)
    } else if (now.kind === 'directory') {
      // Fine only where the change removes the directory's files (a directory becoming a file).
      if (![...deleted].some((d) => d.startsWith(`${c.path}/`))) conflicts.add(c.path)
    } else if (now.kind !== 'missing') {
      conflicts.add(c.path)
    }
  }
  return [...conflicts].sort(compare)
}

/** A parent that is a symlink (writes would land elsewhere) or a file the change does not remove. */
async function blockedParent(folder: string, path: string, deleted: Set<string>): Promise<boolean> {
  const parts = path.split('/').slice(0, -1)
  let rel = ''
  for (const part of parts) {
    rel = rel ? `${rel}/${part}` : part
    const info = await lstat(join(folder, rel)).catch(() => null)
    if (!info) return false
    if (info.isDirectory()) continue
    return info.isSymbolicLink() || !deleted.has(rel)
  }
  return false
}

function writeFailed(err: unknown): AppError {
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  const path = String(
    (err as { dest?: unknown; path?: unknown } | null)?.dest ?? (err as { path?: unknown }).path ?? '',
  )
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError('disk_full', 'The disk is full; nothing was changed in the folder.', {
      hint: 'Free some disk space and try again.',
    })
  }
  const what = path ? ` ${path}` : ''
  return new AppError(
    'conflict',
    `Could not write${what} (${code || 'error'}); every change already written was undone.`,
    {
      hint: 'Something in the folder is in the way (or not writable). Fix it, then apply again, or export a .patch.',
      details: { code: code || undefined },
      cause: err,
    },
  )
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
