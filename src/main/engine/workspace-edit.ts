import { chown, lstat, realpath, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join, sep } from 'node:path'
import { sandboxUser } from '../docker/sandbox'
import { AppError } from '../errors'

/**
 * Writes the user's edit of a changed file (the review's right-hand side) into the task's workspace, so
 * that it becomes part of what gets published. The path must stay inside the workspace: no `..`, no
 * absolute path, no `.git`, and never through or onto a symbolic link.
 */
export async function saveWorkspaceFile(workspace: string, path: string, content: string): Promise<void> {
  const parts = path.split('/')
  if (
    isAbsolute(path) ||
    path.includes('\\') ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p === '.git')
  ) {
    throw new AppError('invalid_input', `"${path}" is not a path inside the workspace.`)
  }
  const target = join(workspace, ...parts)
  const root = await realpath(workspace)
  const parent = await realpath(dirname(target)).catch(() => undefined)
  if (!parent || (parent !== root && !parent.startsWith(root + sep))) {
    throw new AppError(
      'invalid_input',
      `"${path}" is not in the workspace (its folder is missing or a link).`,
    )
  }
  const existing = await lstat(target).catch(() => undefined)
  if (existing?.isSymbolicLink()) {
    throw new AppError('invalid_input', `"${path}" is a symbolic link; edit the file it points to instead.`)
  }
  if (existing && !existing.isFile()) throw new AppError('invalid_input', `"${path}" is not a file.`)
  const mode = existing ? existing.mode & 0o7777 : 0o644
  const temp = join(parent, `.${parts.at(-1)}.codex-edit-${process.pid}.tmp`)
  await writeFile(temp, content, { mode })
  // The sandbox user owns the workspace: a follow-up turn must still be able to change this file.
  const owner = existing ?? (await stat(parent))
  await chown(temp, owner.uid, owner.gid).catch(() => chown(temp, sandboxUser().uid, sandboxUser().gid))
  await rename(temp, target)
}
