import {
  closeSync,
  constants,
  copyFileSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs'
import { lstat, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { lstatNoFollow } from '../util/workspace-read'

/**
 * The file-level half of the setup cache: what setup changed in a workspace, copied out of it and back
 * into another one. The workspace is a tree the sandbox controls, so every walk uses `lstat` and never
 * descends through a symbolic link; symbolic links are kept as links (their target text, never what
 * they point at); FIFOs, sockets and devices are skipped; regular files are opened with O_NOFOLLOW and
 * checked to be the file that was looked at. Content is copied, never hard-linked, so a hard link the
 * sandbox made leads nowhere: the copy is a new file. Called only while no container of the task runs.
 */

/** Workspace-relative path → a signature of what was there (kind, size, mtime, inode, mode). */
export type WorkspaceSnapshot = Map<string, string>

export interface TreeCopyCount {
  files: number
  dirs: number
  links: number
  /** FIFOs, sockets, devices: never copied. */
  skipped: number
  bytes: number
}

const COPY_CHUNK = 1024 * 1024

function signature(info: Stats): string {
  const kind = info.isDirectory() ? 'd' : info.isSymbolicLink() ? 'l' : info.isFile() ? 'f' : 'o'
  return `${kind}:${info.size}:${info.mtimeMs}:${info.ino}:${info.mode}`
}

/** Longest stretch of synchronous file work before the event loop gets a turn (as the folder import does). */
const SLICE_MS = 15

/**
 * Calls `visit` for every entry below `root` (parents first, sorted), never following a link; skips the
 * root .git. Synchronous, in short slices: a promise a file cost more than the work on a small file.
 */
async function walk(root: string, visit: (rel: string, info: Stats) => void): Promise<void> {
  let slice = performance.now()
  const inDir = async (dir: string): Promise<void> => {
    const names = readdirSync(dir ? join(root, dir) : root).sort()
    for (const name of names) {
      if (!dir && name === '.git') continue
      const rel = dir ? `${dir}/${name}` : name
      const info = lstatSync(join(root, rel))
      visit(rel, info)
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        slice = performance.now()
      }
      if (info.isDirectory()) await inDir(rel)
    }
  }
  await inDir('')
}

/** What is in `workspace` (a tree not there yet: nothing). */
export async function snapshotWorkspace(workspace: string): Promise<WorkspaceSnapshot> {
  const snapshot: WorkspaceSnapshot = new Map()
  if (!(await lstat(workspace).catch(() => undefined))?.isDirectory()) return snapshot
  await walk(workspace, (rel, info) => {
    snapshot.set(rel, signature(info))
  })
  return snapshot
}

const emptyCount = (): TreeCopyCount => ({ files: 0, dirs: 0, links: 0, skipped: 0, bytes: 0 })

/** Copies a regular file by descriptor: opened without following a link, checked to be what was looked at. */
function copyRegularFile(src: string, looked: Stats, dest: string, buf: Buffer): number {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY
  const input = openSync(src, flags)
  try {
    const opened = fstatSync(input)
    if (!opened.isFile() || opened.ino !== looked.ino || opened.dev !== looked.dev) {
      throw new Error(`"${src}" changed while it was being copied.`)
    }
    const output = openSync(dest, 'wx', opened.mode & 0o777)
    try {
      let total = 0
      for (;;) {
        const bytesRead = readSync(input, buf, 0, buf.length, total)
        if (bytesRead === 0) break
        writeSync(output, buf, 0, bytesRead)
        total += bytesRead
      }
      return total
    } finally {
      closeSync(output)
    }
  } finally {
    closeSync(input)
  }
}

/**
 * Copies into `dest` (a fresh directory) every entry of `workspace` that is new or changed since
 * `before`. A new directory is copied as a directory; a changed file or link as itself.
 */
export async function copyChangedEntries(
  workspace: string,
  before: WorkspaceSnapshot,
  dest: string,
  /** Paths left out (with everything below them). */
  skip?: (rel: string) => boolean,
): Promise<TreeCopyCount> {
  const count = emptyCount()
  const made = new Set<string>()
  const buf = Buffer.allocUnsafe(COPY_CHUNK)
  const ensureParent = (rel: string): void => {
    const parts = rel.split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join('/')
      if (made.has(dir)) continue
      mkdirSync(join(dest, dir), { recursive: true })
      made.add(dir)
    }
  }
  await walk(workspace, (rel, info) => {
    if (before.get(rel) === signature(info)) return
    if (skip?.(rel)) return
    if (info.isDirectory()) {
      if (before.has(rel)) return
      ensureParent(`${rel}/x`)
      count.dirs++
    } else if (info.isSymbolicLink()) {
      ensureParent(rel)
      symlinkSync(readlinkSync(join(workspace, rel)), join(dest, rel))
      count.links++
    } else if (info.isFile()) {
      ensureParent(rel)
      count.bytes += copyRegularFile(join(workspace, rel), info, join(dest, rel), buf)
      count.files++
    } else count.skipped++
  })
  return count
}

/**
 * What setup deleted: the entries of `before` gone from `root` now, the topmost of each deleted
 * subtree only. An entry whose parent is no longer a directory (setup put a file or link there) is not
 * listed: that parent itself is a changed entry, which the restore handles.
 */
export function deletedSince(root: string, before: WorkspaceSnapshot): string[] {
  const deleted = new Set<string>()
  const underDeleted = (rel: string): boolean => {
    for (let cut = rel.lastIndexOf('/'); cut > 0; cut = rel.lastIndexOf('/', cut - 1)) {
      if (deleted.has(rel.slice(0, cut))) return true
    }
    return false
  }
  for (const rel of before.keys()) {
    if (underDeleted(rel)) continue
    const now = lstatNoFollow(root, rel)
    if (now.ok && !now.info) deleted.add(rel)
  }
  return [...deleted]
}

/** Deletes `paths` (from deletedSince) in `workspace`, never through one of its symbolic links. */
export async function applyDeletions(workspace: string, paths: readonly string[]): Promise<number> {
  let removed = 0
  for (const rel of paths) {
    const target = lstatNoFollow(workspace, rel)
    if (!target.ok && target.reason !== 'missing') throw new Error(target.message)
    if (!target.ok || !target.info) continue
    // rm never follows a link it meets inside the subtree: it removes the link itself.
    await rm(target.abs, { recursive: true, force: true })
    removed++
  }
  return removed
}

/**
 * Copies the saved tree `src` (written by copyChangedEntries) into `workspace`: over files already
 * there, never through a symbolic link of the workspace (a repository may commit one where setup
 * made a directory). Throws at the first conflict; the caller then runs setup instead. Synchronous, in
 * short slices: a promise a file cost more than the copy of a node_modules file itself.
 */
export async function restoreTree(src: string, workspace: string): Promise<TreeCopyCount> {
  const count = emptyCount()
  // Workspace directories known to be directories (looked at, or made here): not looked at again.
  const dirs = new Set<string>()
  const pending: string[] = ['']
  let slice = performance.now()
  while (pending.length) {
    const dir = pending.pop()!
    for (const entry of readdirSync(dir ? join(src, dir) : src, { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name
      if (restoreEntry(src, workspace, rel, dirs, count)) pending.push(rel)
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve))
        slice = performance.now()
      }
    }
  }
  return count
}

/** Restores one entry of the saved tree; true for a directory (its entries come next). */
function restoreEntry(
  src: string,
  workspace: string,
  rel: string,
  dirs: Set<string>,
  count: TreeCopyCount,
): boolean {
  const info = lstatSync(join(src, rel))
  const target = lstatNoFollow(workspace, rel, dirs)
  if (!target.ok) throw new Error(target.message)
  const { abs, info: there } = target
  if (info.isDirectory()) {
    if (!there?.isDirectory()) {
      removeNonDirectorySync(abs, there, rel)
      mkdirSync(abs, { mode: info.mode & 0o777 })
      count.dirs++
    }
    dirs.add(rel)
    return true
  }
  if (info.isSymbolicLink()) {
    removeNonDirectorySync(abs, there, rel)
    symlinkSync(readlinkSync(join(src, rel)), abs)
    count.links++
  } else if (info.isFile()) {
    removeNonDirectorySync(abs, there, rel)
    // Copy-on-write where the filesystem can (btrfs, XFS), else a plain copy: never a shared file.
    copyFileSync(join(src, rel), abs, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL)
    count.bytes += info.size
    count.files++
  } else count.skipped++
  return false
}

function removeNonDirectorySync(abs: string, info: Stats | undefined, rel: string): void {
  if (!info) return
  if (info.isDirectory()) throw new Error(`"${rel}" is a directory in the workspace.`)
  unlinkSync(abs)
}
