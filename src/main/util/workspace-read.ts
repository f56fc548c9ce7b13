import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs'
import { join } from 'node:path'

/**
 * Host-side reads of paths inside a task's workspace, a tree the sandbox controls. Every read:
 * - takes a clean relative path (no absolute path, no `.`/`..`/empty segment, no NUL, no backslash);
 * - refuses a symbolic link in ANY component, not only the last (a directory the agent turned into a
 *   link to `$HOME` outlives its container), walking the path with `lstat`;
 * - never opens anything but a regular file (a FIFO would hang the reader, a device would never end),
 *   opens it with O_NOFOLLOW | O_NONBLOCK, checks that what it opened is the file it looked at (same
 *   device and inode, still regular), and reads at most `maxBytes`.
 *
 * The engine calls these only while no process of the task can run (before a container starts, after
 * it is removed), so nothing can swap a component between the checks and the read; the checks after
 * opening are there should that rule ever be broken.
 */
export type WorkspaceRead =
  | { ok: true; content: Buffer; size: number; truncated: boolean }
  | { ok: false; reason: WorkspaceReadRefusal; message: string }

export type WorkspaceReadRefusal = 'missing' | 'bad_path' | 'symlink' | 'not_regular' | 'too_large'

export interface WorkspaceReadOptions {
  maxBytes: number
  /** Larger files: 'truncate' reads the first maxBytes, 'refuse' (default) reads nothing. */
  overflow?: 'truncate' | 'refuse'
}

const refused = (reason: WorkspaceReadRefusal, message: string): WorkspaceRead => ({
  ok: false,
  reason,
  message,
})

/** Why `rel` is not a clean workspace-relative path, or undefined when it is. */
export function relativePathProblem(rel: string): string | undefined {
  if (rel.length === 0) return 'is empty'
  if (rel.includes('\0')) return 'has a NUL byte'
  if (rel.includes('\\')) return 'has a backslash'
  if (rel.startsWith('/')) return 'is absolute'
  if (rel.split('/').some((p) => p === '' || p === '.' || p === '..')) return 'has an empty, . or .. segment'
  return undefined
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO'
  if (info.isSocket()) return 'a socket'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device'
  if (info.isDirectory()) return 'a directory'
  return 'not a regular file'
}

/**
 * lstat of `rel` under `root`, after checking that every parent component is a real directory.
 * `dirsSeen` (optional) remembers parents already checked, for many reads in one pass.
 */
export function lstatNoFollow(
  root: string,
  rel: string,
  dirsSeen?: Set<string>,
):
  | { ok: true; abs: string; info: Stats | undefined }
  | { ok: false; reason: WorkspaceReadRefusal; message: string } {
  const problem = relativePathProblem(rel)
  if (problem) return { ok: false, reason: 'bad_path', message: `"${rel}" ${problem}.` }
  const parts = rel.split('/')
  let dir = ''
  for (const part of parts.slice(0, -1)) {
    dir = dir ? `${dir}/${part}` : part
    if (dirsSeen?.has(dir)) continue
    const info = lstatOrUndefined(join(root, dir))
    if (!info) return { ok: false, reason: 'missing', message: `"${rel}" does not exist.` }
    if (info.isSymbolicLink()) {
      return { ok: false, reason: 'symlink', message: `"${rel}" goes through the symbolic link "${dir}".` }
    }
    if (!info.isDirectory()) {
      return { ok: false, reason: 'not_regular', message: `"${rel}": "${dir}" is not a directory.` }
    }
    dirsSeen?.add(dir)
  }
  const abs = join(root, rel)
  return { ok: true, abs, info: lstatOrUndefined(abs) }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

/** Reads a regular file of the workspace (see above). Synchronous: small, bounded reads, never a wait. */
export function readWorkspaceFileSync(
  root: string,
  rel: string,
  opts: WorkspaceReadOptions,
  dirsSeen?: Set<string>,
): WorkspaceRead {
  const found = lstatNoFollow(root, rel, dirsSeen)
  if (!found.ok) return found
  const { abs, info } = found
  if (!info) return refused('missing', `"${rel}" does not exist.`)
  if (info.isSymbolicLink()) return refused('symlink', `"${rel}" is a symbolic link.`)
  if (!info.isFile()) return refused('not_regular', `"${rel}" is ${kindOf(info)}, not a regular file.`)
  if (info.size > opts.maxBytes && opts.overflow !== 'truncate') {
    return refused('too_large', `"${rel}" is larger than ${opts.maxBytes} bytes.`)
  }
  let fd: number
  try {
    fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ELOOP') return refused('symlink', `"${rel}" is a symbolic link.`)
    if (code === 'ENOENT') return refused('missing', `"${rel}" does not exist.`)
    throw err
  }
  try {
    const opened = fstatSync(fd)
    if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) {
      return refused('not_regular', `"${rel}" changed while it was being read.`)
    }
    const limit = Math.min(opened.size, opts.maxBytes)
    const buf = Buffer.allocUnsafe(limit)
    let got = 0
    while (got < limit) {
      const n = readSync(fd, buf, got, limit - got, got)
      if (n === 0) break
      got += n
    }
    return { ok: true, content: buf.subarray(0, got), size: opened.size, truncated: opened.size > got }
  } finally {
    closeSync(fd)
  }
}
