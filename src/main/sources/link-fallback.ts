import { randomBytes } from 'node:crypto'
import { symlinkSync, writeFileSync } from 'node:fs'
import { rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Symlinks where the disk or the OS cannot make them: FAT and exFAT (Linux's vfat fails `symlink` with
 * EPERM, FUSE drivers with ENOSYS), Windows without Developer Mode or the privilege (EPERM), some network
 * shares (ENOTSUP). There the link is written as git writes it with `core.symlinks=false`: a regular
 * file holding the link's target, so the tree still builds where the target is read as text, and the
 * baseline can record the entry as the symlink it is (`recordBaseline`'s `linksAsFiles`).
 */
const NO_SYMLINKS = new Set(['EPERM', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP'])

/** True when `err` (from symlink()) says this filesystem or OS cannot make symlinks at all. */
export function cannotSymlink(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && NO_SYMLINKS.has(code)
}

/** Whether symlinks can be made in the existing directory `dir` (tried with a probe link, then removed). */
export async function canSymlinkIn(dir: string): Promise<boolean> {
  const probe = join(dir, `.codex-link-probe-${randomBytes(6).toString('hex')}`)
  try {
    await symlink('probe-target', probe)
  } catch (err) {
    if (cannotSymlink(err)) return false
    throw err
  }
  await rm(probe, { force: true })
  return true
}

/**
 * Creates the symlink `path` -> `target`, or, where symlinks cannot be made, a new regular file at `path`
 * holding the target (never overwriting). Returns true when it wrote the file.
 */
export function symlinkOrFileSync(target: string | Buffer, path: string): boolean {
  try {
    symlinkSync(target, path)
    return false
  } catch (err) {
    if (!cannotSymlink(err)) throw err
  }
  writeFileSync(path, target, { flag: 'wx', mode: 0o644 })
  return true
}

/** `symlinkOrFileSync`, asynchronously. */
export async function symlinkOrFile(target: string | Buffer, path: string): Promise<boolean> {
  try {
    await symlink(target, path)
    return false
  } catch (err) {
    if (!cannotSymlink(err)) throw err
  }
  await writeFile(path, target, { flag: 'wx', mode: 0o644 })
  return true
}

/** The warning for links written as files (`where`: "this disk", "the folder"), naming a few of them. */
export function linksAsFilesWarning(paths: string[], where: string): string {
  const shown = paths.slice(0, 10).join(', ')
  const more = paths.length > 10 ? ` and ${paths.length - 10} more` : ''
  const what = paths.length === 1 ? '1 symlink was' : `${paths.length} symlinks were`
  return (
    `Warning: ${where} cannot hold symlinks; ${what} written as plain files holding the link's target ` +
    `(git's core.symlinks=false form): ${shown}${more}.`
  )
}
