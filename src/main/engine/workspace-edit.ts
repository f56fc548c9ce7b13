import { randomUUID } from 'node:crypto'
import type { Stats } from 'node:fs'
import { chmod, chown, lstat, mkdir, rm, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { sandboxUser } from '../docker/sandbox'
import { AppError } from '../errors'
import { unsafePathProblem } from '../git/path-names'
import { visibleName } from '../../shared/visible-name'
import { lstatNoFollow } from '../util/workspace-read'
import { renameWithRetry } from '../util/fs'

/**
 * Host-side writes into a task's workspace: the user's edit of a changed file (the review's right-hand
 * side), and the restores of "discard" and "undo". The path must be one that is safe to write on every OS
 * (path-names.ts: no `..`, no absolute path, no `.git` nor an alias of it such as `GIT~1` or `.git.`;
 * for a file that does not exist yet, no Windows device name or `:`), and it is never written through
 * or onto a symbolic link: every parent is walked with lstat (workspace-read.ts), so a directory the
 * agent turned into a link to `$HOME` refuses the write. Nothing but a regular file is ever opened, and
 * only a temporary file this code creates: a FIFO at the path is refused, never opened.
 *
 * Content goes to a new temporary file (created exclusively, so no planted link is followed) in the
 * same directory and is renamed over the target. Modes are only ever 0644 or 0755 (no setuid, setgid
 * or sticky bit); the file belongs to whoever owns the file it replaces (or its folder), so a follow-up
 * turn can still change it.
 */
export interface SaveOptions {
  /** 0o644 or 0o755 (a restore); default: the existing file's permissions, or 0o644. */
  mode?: number
}

/** Git's file modes a restore can write, and their permissions. */
const FILE_MODES: Readonly<Record<string, number>> = { '100644': 0o644, '100755': 0o755 }
const SYMLINK_MODE = '120000'

/** Writes the user's edit of a file (see above); refuses a symbolic link or anything but a file there. */
export async function saveWorkspaceFile(
  workspace: string,
  path: string,
  content: string | Buffer,
  opts: SaveOptions = {},
): Promise<void> {
  await writeEntry(workspace, path, content, { mode: opts.mode, restoring: false })
}

/**
 * Removes a regular file or a symbolic link (the link itself, never what it points to). Refuses a
 * folder, a FIFO, socket or device, and a path reached through a symbolic link; a missing file is
 * already what was asked for.
 */
export async function removeWorkspaceFile(workspace: string, path: string): Promise<void> {
  const always = unsafePathProblem(path, { existing: true })
  if (always) throw cannot('removed', path, always)
  const found = lstatNoFollow(workspace, path)
  if (!found.ok && found.reason === 'missing') return
  if (!found.ok) throw notInside(path, found.reason)
  const existing = found.info
  if (!existing) return
  if (existing.isDirectory()) throw cannot('removed', path, 'is a folder')
  if (!existing.isFile() && !existing.isSymbolicLink()) throw cannot('removed', path, 'is not a file')
  await unlink(found.abs).catch((err: unknown) => {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err
  })
}

/** A file of a snapshot (its blob's bytes and git mode), or null where the snapshot had none. */
export type RestoredEntry = { content: Buffer; mode: string } | null

/**
 * Puts `path` back as `entry` has it (discard and undo): writes a file with mode 100644 or 100755,
 * creating missing folders and replacing a symbolic link the agent put there (the link itself), or
 * removes what is there when `entry` is null. The host never creates a symbolic link in the workspace.
 */
export async function restoreWorkspaceEntry(
  workspace: string,
  path: string,
  entry: RestoredEntry,
): Promise<void> {
  if (!entry) return removeWorkspaceFile(workspace, path)
  if (entry.mode === SYMLINK_MODE) {
    throw new AppError(
      'invalid_input',
      `"${visibleName(path)}" is a symbolic link in the original; exclude it instead of discarding.`,
      { hint: 'Leave the file out of what gets published instead.', details: { path } },
    )
  }
  const mode = FILE_MODES[entry.mode]
  if (mode === undefined) {
    throw new AppError(
      'invalid_input',
      `"${visibleName(path)}" is not a regular file in the original; exclude it instead of discarding.`,
      { details: { path, mode: entry.mode } },
    )
  }
  await writeEntry(workspace, path, entry.content, { mode, restoring: true })
}

interface WriteOptions {
  mode: number | undefined
  /** A restore: missing folders are created and a symbolic link at the path is replaced (not followed). */
  restoring: boolean
}

async function writeEntry(
  workspace: string,
  path: string,
  content: string | Buffer,
  opts: WriteOptions,
): Promise<void> {
  if (opts.mode !== undefined && opts.mode !== 0o644 && opts.mode !== 0o755) {
    throw new AppError(
      'internal',
      `A file can only be written with mode 644 or 755, not ${opts.mode.toString(8)}.`,
    )
  }
  // .git aliases, `..`, absolute paths: always.
  const always = unsafePathProblem(path, { existing: true })
  if (always) throw cannot('saved', path, always)
  let found = lstatNoFollow(workspace, path)
  if (!found.ok && found.reason === 'missing' && opts.restoring) {
    const creating = unsafePathProblem(path)
    if (creating) throw cannot('saved', path, creating)
    await makeParents(workspace, path)
    found = lstatNoFollow(workspace, path)
  }
  if (!found.ok) throw notInside(path, found.reason)
  const existing = found.info
  // A name Windows cannot hold (CON, a:b, x.) only when the write would create it.
  const creating = existing ? undefined : unsafePathProblem(path)
  if (creating) throw cannot('saved', path, creating)
  if (existing?.isSymbolicLink() && !opts.restoring) {
    throw new AppError(
      'invalid_input',
      `"${visibleName(path)}" is a symbolic link; edit the file it points to instead.`,
    )
  }
  if (existing && !existing.isFile() && !existing.isSymbolicLink()) {
    throw new AppError('invalid_input', `"${visibleName(path)}" is not a file.`)
  }
  const keep = existing?.isFile() ? existing.mode & 0o777 : 0o644
  await writeReplacing(found.abs, content, opts.mode ?? keep, existing)
}

/**
 * A temporary file in the target's folder (lstatNoFollow checked every parent: each a real directory,
 * none a link), renamed over the target: a link there is replaced, never followed.
 */
async function writeReplacing(
  abs: string,
  content: string | Buffer,
  mode: number,
  existing: Stats | undefined,
): Promise<void> {
  const parent = dirname(abs)
  const temp = join(parent, `.codex-edit-${randomUUID()}.tmp`)
  try {
    await writeFile(temp, content, { mode, flag: 'wx' })
    // Exactly `mode`, whatever the umask.
    await chmod(temp, mode)
    await giveToWorkspaceOwner(temp, existing ?? (await lstat(parent)))
    await renameWithRetry(temp, abs)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}

/** The sandbox user owns the workspace: a follow-up turn must still be able to change what we wrote. */
async function giveToWorkspaceOwner(path: string, owner: Stats): Promise<void> {
  await chown(path, owner.uid, owner.gid).catch(() => chown(path, sandboxUser().uid, sandboxUser().gid))
}

/** Creates the missing folders of `path` one at a time, each checked (no link on the way) before the next. */
async function makeParents(workspace: string, path: string): Promise<void> {
  let dir = ''
  for (const part of path.split('/').slice(0, -1)) {
    dir = dir ? `${dir}/${part}` : part
    const found = lstatNoFollow(workspace, dir)
    if (!found.ok) throw notInside(path, found.reason)
    if (found.info) continue // a file or link here: the check of the whole path refuses it
    // Not recursive: an entry that appeared meanwhile fails with EEXIST instead of being followed.
    await mkdir(found.abs, { mode: 0o755 })
    await chmod(found.abs, 0o755)
    await giveToWorkspaceOwner(found.abs, await lstat(dirname(found.abs)))
  }
}

const cannot = (what: 'saved' | 'removed', path: string, problem: string): AppError =>
  new AppError('invalid_input', `"${visibleName(path)}" cannot be ${what}: it ${problem}.`, {
    details: { path },
  })

const notInside = (path: string, reason: string): AppError => {
  const why = reason === 'symlink' ? ', through a symbolic link' : ''
  return new AppError('invalid_input', `"${visibleName(path)}" is not a path inside the workspace${why}.`, {
    details: { path, reason },
  })
}
