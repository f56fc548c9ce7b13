import { randomUUID } from 'node:crypto'
import { chmod, link, lstat, mkdir, rename, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/**
 * Writes into a user's folder, all or nothing. Each file is written to a temporary name in its own
 * directory and renamed over the target (atomic per file); what it replaces is kept as a hard link in a
 * backup directory at the folder's root, and deletions are renames into it. If any step fails, every
 * step done so far is undone in reverse order (the original files come back as the same inodes, modes
 * and times) and the error is rethrown; on success the backups are removed.
 */
export interface FileWrite {
  path: string
  content: Buffer
  /** Git mode: 100644, 100755 or 120000 (the content is then the link's target). */
  mode: string
}

type Undo = () => Promise<void>

export async function writeAllOrNothing(
  folder: string,
  deletions: string[],
  writes: FileWrite[],
): Promise<void> {
  const backups = join(folder, `.codex-apply-${randomUUID()}`)
  const undo: Undo[] = []
  let n = 0
  const backupName = (): string => join(backups, String(n++))
  try {
    await mkdir(backups)
    for (const rel of deletions) {
      const target = join(folder, rel)
      const saved = backupName()
      await rename(target, saved)
      undo.push(() => rename(saved, target))
      await removeEmptyParents(folder, dirname(rel), undo)
    }
    for (const w of writes) await writeOne(folder, w, backupName, undo)
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined)
    throw err
  } finally {
    await rm(backups, { recursive: true, force: true })
  }
}

async function writeOne(folder: string, w: FileWrite, backupName: () => string, undo: Undo[]): Promise<void> {
  const target = join(folder, w.path)
  await makeParents(folder, dirname(w.path), undo)
  const before = await lstat(target).catch(() => null)
  const tmp = join(dirname(target), `.codex-tmp-${randomUUID()}`)
  try {
    if (w.mode === '120000') {
      await symlink(w.content, tmp)
    } else {
      await writeFile(tmp, w.content, { mode: w.mode === '100755' ? 0o755 : 0o644, flag: 'wx' })
      // Replacing a file keeps its permissions, with the executable bits following the new mode.
      if (before?.isFile()) await chmod(tmp, fileMode(before.mode, w.mode === '100755'))
    }
    if (before && !before.isDirectory()) {
      const saved = backupName()
      const linked = await link(target, saved).then(
        () => true,
        () => false,
      )
      // No hard links here (some file systems): move the original aside instead.
      if (!linked) await rename(target, saved)
      try {
        await rename(tmp, target)
      } catch (err) {
        if (!linked) await rename(saved, target)
        throw err
      }
      undo.push(() => rename(saved, target))
    } else {
      await rename(tmp, target)
      undo.push(() => unlink(target))
    }
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

function fileMode(current: number, executable: boolean): number {
  const perms = current & 0o7777 & ~0o111
  return executable ? perms | ((perms & 0o444) >> 2) : perms
}

/** Creates the missing directories of `relDir` (outermost first), each undone by removing it. */
async function makeParents(folder: string, relDir: string, undo: Undo[]): Promise<void> {
  if (relDir === '.' || relDir === '') return
  const parts = relDir.split('/')
  let dir = folder
  for (const part of parts) {
    dir = join(dir, part)
    const info = await lstat(dir).catch(() => null)
    if (info?.isDirectory()) continue
    await mkdir(dir)
    const made = dir
    undo.push(() => rmdir(made))
  }
}

/** Like git: a directory left empty by a deletion goes too (each undone by recreating it). */
async function removeEmptyParents(folder: string, relDir: string, undo: Undo[]): Promise<void> {
  let rel = relDir
  while (rel !== '.' && rel !== '') {
    const dir = join(folder, rel)
    const info = await lstat(dir).catch(() => null)
    if (!info?.isDirectory()) return
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    )
    if (!removed) return
    undo.push(async () => {
      await mkdir(dir)
      await chmod(dir, info.mode & 0o7777)
    })
    rel = dirname(rel)
  }
}
