import { statfsSync } from 'node:fs'
import { dirname, resolve, sep } from 'node:path'
import type { AppErrorData } from '../../shared/errors'

/**
 * One meaning for "out of space", wherever it surfaces (an fs call's ENOSPC/EDQUOT, git's or tar's
 * "No space left on device", an error wrapping one of those): "The disk holding <dir> is full (N MB free)",
 * kind `disk_full`, with what to do about it. The AppError form is in disk-full.ts.
 */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT'])
const DISK_FULL_TEXT = /no space left on device|disk quota exceeded/i
const MB = 1024 * 1024

/** Data directories opened in this process: a disk-full error names the one holding the failed path. */
const dataDirs = new Set<string>()

export function registerDataDir(dir: string): void {
  const path = resolve(dir)
  // The latest opened last: the one an error without a path is about.
  dataDirs.delete(path)
  dataDirs.add(path)
}

/** Whether `err` (or what it wraps) says the disk or the user's quota is full. */
export function isDiskFull(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false
  const { code, kind, message, stderr, cause } = err as Record<string, unknown>
  if (typeof code === 'string' && DISK_FULL_CODES.has(code)) return true
  if (kind === 'disk_full') return true
  for (const text of [message, stderr]) if (typeof text === 'string' && DISK_FULL_TEXT.test(text)) return true
  return isDiskFull(cause, depth + 1)
}

/** Bytes an unprivileged writer can still use on the disk holding `path` (its nearest existing parent). */
export function freeBytes(path: string): number | undefined {
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      const fs = statfsSync(dir)
      return fs.bavail * fs.bsize
    } catch {
      if (dirname(dir) === dir) return undefined
    }
  }
}

/** The data directory holding `path` when one is known, else `path` itself. */
function diskLabel(path: string | undefined): string | undefined {
  const known = [...dataDirs]
  if (!path) return known.at(-1)
  const target = resolve(path)
  return known.find((dir) => target === dir || target.startsWith(dir + sep)) ?? target
}

/** The pathname an fs error carries, if whichever layer threw it kept one. */
export function pathOf(err: unknown): string | undefined {
  const path = (err as { path?: unknown } | null)?.path
  return typeof path === 'string' ? path : undefined
}

const HINT =
  'Free some disk space, or move the data directory to a larger disk (CODEX_DATA_DIR or --data-dir), then run the task again.'

/**
 * What the user reads for a full disk holding `path` (default: the data directory, when one is open).
 * `extra` goes inside the parentheses, after the free space ("; about 40 MB are needed").
 */
export function diskFullData(path?: string, extra = ''): AppErrorData {
  const dir = diskLabel(path)
  const free = dir ? freeBytes(dir) : undefined
  const freeText = free === undefined ? '' : ` (${Math.floor(free / MB)} MB free${extra})`
  const message = dir ? `The disk holding ${dir} is full${freeText}.` : 'The disk is full.'
  return { kind: 'disk_full', message, hint: HINT, details: { dir, freeBytes: free } }
}
