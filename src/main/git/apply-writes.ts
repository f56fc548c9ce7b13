import { randomUUID } from 'node:crypto'
import { chmod, link, lstat, mkdir, rm, rmdir, symlink, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { cannotSymlink } from '../sources/link-fallback'
import { renameWithRetry } from '../util/fs'

/**
 * Writes into a user's folder, all or nothing. Each file is written to a temporary name in its own
 * directory and renamed over the target (atomic per file); what it replaces is kept as a hard link in a
 * backup directory at the folder's root, and deletions are renames into it. If any step fails, every
 * step done so far is undone in reverse order (the original files come back as the same inodes, modes
 * and times) and the error is rethrown; on success the backups are removed. Where the folder's disk
 * cannot hold symlinks (FAT, Windows without Developer Mode), a symlink is written as git writes it with
 * `core.symlinks=false`: a file holding its target; the result lists those paths.
 */
export interface FileWrite {
  path: string
  content: Buffer
  /** Git mode: 100644, 100755 or 120000 (the content is then the link's target). */
  mode: string
}

type Undo = () => Promise<void>

export interface WriteOutcome {
  /** Symlinks written as files holding their target. */
  linksAsFiles: string[]
}

export async function writeAllOrNothing(
  folder: string,
  deletions: string[],
  writes: FileWrite[],
): Promise<WriteOutcome> {
  const backups = join(folder, `.codex-apply-${randomUUID()}`)
  const undo: Undo[] = []
  let n = 0
  const backupName = (): string => join(backups, String(n++))
  try {
    await mkdir(backups)
    for (const rel of deletions) {
      const target = join(folder, rel)
      const saved = backupName()
      await renameWithRetry(target, saved)
      undo.push(() => renameWithRetry(saved, target))
      await removeEmptyParents(folder, dirname(rel), undo)
    }
    const linksAsFiles: string[] = []
    for (const w of writes) {
      if (await writeOne(folder, w, backupName, undo)) linksAsFiles.push(w.path)
    }
    return { linksAsFiles }
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined)
    throw err
  } finally {
    await rm(backups, { recursive: true, force: true })
  }
}

/** Writes one file; true when it is a symlink written as a file holding its target. */
async function writeOne(
  folder: string,
  w: FileWrite,
  backupName: () => string,
  undo: Undo[],
): Promise<boolean> {
  const target = join(folder, w.path)
  await makeParents(folder, dirname(w.path), undo)
  const before = await lstat(target).catch(() => null)
  const tmp = join(dirname(target), `.codex-tmp-${randomUUID()}`)
  let linkAsFile = false
  try {
    if (w.mode === '120000') {
      linkAsFile = await symlink(w.content, tmp).then(
        () => false,
        (err: unknown) => {
          if (!cannotSymlink(err)) throw err
          return true
        },
      )
      if (linkAsFile) await writeFile(tmp, w.content, { mode: 0o644, flag: 'wx' })
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
      if (!linked) await renameWithRetry(target, saved)
      try {
        await renameWithRetry(tmp, target)
      } catch (err) {
        if (!linked) await renameWithRetry(saved, target)
        throw err
      }
      undo.push(() => renameWithRetry(saved, target))
    } else {
      await renameWithRetry(tmp, target)
      undo.push(() => unlink(target))
    }
    return linkAsFile
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
