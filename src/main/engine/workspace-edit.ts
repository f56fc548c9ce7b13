import { randomUUID } from 'node:crypto'
import { chown, lstat, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { sandboxUser } from '../docker/sandbox'
import { AppError } from '../errors'
import { unsafePathProblem } from '../git/path-names'
import { visibleName } from '../../shared/visible-name'
import { lstatNoFollow } from '../util/workspace-read'
import { renameWithRetry } from '../util/fs'

/**
 * Writes the user's edit of a changed file (the review's right-hand side) into the task's workspace, so
 * that it becomes part of what gets published. The path must be one that is safe to write on any OS
 * (path-names.ts: no `..`, no absolute path, no `.git` or any alias of it such as `GIT~1` or `.git.`;
 * for a file that does not exist yet, no Windows device name or `:`), and it is never written through
 * or onto a symbolic link: every parent is walked with lstat (workspace-read.ts), so a directory the
 * agent turned into a link to `$HOME` refuses the edit.
 *
 * The edit goes to a new temporary file (created exclusively, so no planted link is followed) in the
 * same directory and is renamed over the target.
 */
export async function saveWorkspaceFile(workspace: string, path: string, content: string): Promise<void> {
  const refuse = (problem: string): AppError =>
    new AppError('invalid_input', `"${visibleName(path)}" cannot be saved: it ${problem}.`, {
      details: { path },
    })
  // .git aliases, `..`, absolute paths: always.
  const always = unsafePathProblem(path, { existing: true })
  if (always) throw refuse(always)
  const found = lstatNoFollow(workspace, path)
  if (!found.ok) {
    const why = found.reason === 'symlink' ? ', through a symbolic link' : ''
    throw new AppError('invalid_input', `"${visibleName(path)}" is not a path inside the workspace${why}.`, {
      details: { path, reason: found.reason },
    })
  }
  const existing = found.info
  // A name Windows cannot hold (CON, a:b, x.) only when the edit would create it.
  const creating = existing ? undefined : unsafePathProblem(path)
  if (creating) throw refuse(creating)
  if (existing?.isSymbolicLink()) {
    throw new AppError(
      'invalid_input',
      `"${visibleName(path)}" is a symbolic link; edit the file it points to instead.`,
    )
  }
  if (existing && !existing.isFile()) {
    throw new AppError('invalid_input', `"${visibleName(path)}" is not a file.`)
  }
  // lstatNoFollow checked every parent: each is a real directory, none a link.
  const parent = dirname(found.abs)
  const mode = existing ? existing.mode & 0o7777 : 0o644
  const temp = join(parent, `.codex-edit-${randomUUID()}.tmp`)
  try {
    await writeFile(temp, content, { mode, flag: 'wx' })
    // The sandbox user owns the workspace: a follow-up turn must still be able to change this file.
    const owner = existing ?? (await lstat(parent))
    await chown(temp, owner.uid, owner.gid).catch(() => chown(temp, sandboxUser().uid, sandboxUser().gid))
    await renameWithRetry(temp, found.abs)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
