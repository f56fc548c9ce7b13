import { createHash } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import { lstatNoFollow, readWorkspaceFileSync } from '../util/workspace-read'
import { readBlobs } from './blobs'
import { NULL_SHA, type RawEntry } from './diff-parse'
import type { GitOptions } from './git'
import { reverseApply, sideFromSection } from './patch-content'

/**
 * File contents for the diff, keyed by blob id, at the least cost:
 * - new sides of modified/renamed files are read from the workspace (cheaper than inflating the
 *   objects `git add` just wrote), mostly while git computes the patch;
 * - added and deleted files come from their patch section, old sides of modified files from the new
 *   side with the patch applied in reverse;
 * - every one of those is kept ONLY when its bytes hash to the blob id git recorded, so a file changed
 *   since staging, or a path redirected through a symlinked directory, can never put anything but the
 *   staged content in the result. Whatever is left is read from the object store (two `cat-file`
 *   processes for all of them, usually none).
 */
export interface Contents {
  get(sha: string): Buffer | undefined
  /** True when the blob exists but is larger than the limit. */
  tooLarge(sha: string): boolean
}

export interface EntrySections {
  entry: RawEntry
  /** Its patch sections (two for a type change). */
  sections: Buffer[]
  binary: boolean
}

const YIELD_EVERY_BYTES = 256 * 1024
const SYMLINK_MODE = '120000'

export const blobId = (buf: Buffer): string =>
  createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex')

interface FileRead {
  buf: Buffer
  id: string
}

/**
 * Reads (and hashes) workspace files ahead, while git computes the patch. Synchronous reads of
 * page-cached files are several times faster than the promise API for thousands of small files; the
 * event loop is yielded to often, so git's output keeps flowing meanwhile.
 */
export async function readFiles(
  workspace: string,
  paths: string[],
  maxBytes: number,
  dirsSeen: Set<string> = new Set(),
): Promise<Map<string, FileRead>> {
  const out = new Map<string, FileRead>()
  let sinceYield = 0
  for (const path of paths) {
    const buf = readFromDisk(workspace, path, null, maxBytes, dirsSeen)
    if (buf) out.set(path, { buf, id: blobId(buf) })
    sinceYield += (buf?.length ?? 0) + 16 * 1024
    if (sinceYield > YIELD_EVERY_BYTES) {
      sinceYield = 0
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  return out
}

/** Verified new sides of modified and renamed files: from the read-ahead, or read now. */
export function newSides(
  workspace: string,
  entries: RawEntry[],
  readAhead: Map<string, FileRead>,
  maxBytes: number,
  dirsSeen: Set<string> = new Set(),
): Map<string, Buffer> {
  const found = new Map<string, Buffer>()
  for (const e of entries) {
    if ((e.status !== 'M' && e.status !== 'R') || e.newSha === NULL_SHA) continue
    const ahead = readAhead.get(e.newPath)
    if (ahead && ahead.id === e.newSha) {
      found.set(e.newSha, ahead.buf)
      continue
    }
    const buf = readFromDisk(workspace, e.newPath, e.newMode === SYMLINK_MODE, maxBytes, dirsSeen)
    if (buf && blobId(buf) === e.newSha) found.set(e.newSha, buf)
  }
  return found
}

export async function resolveContents(
  items: EntrySections[],
  fromDisk: Map<string, Buffer>,
  maxBytes: number,
  gitOpts: GitOptions,
): Promise<Contents> {
  const found = new Map<string, Buffer>()
  const large = new Set<string>()
  const pending = new Set<string>()
  const offer = (sha: string, buf: Buffer | null | undefined): void => {
    if (sha === NULL_SHA || found.has(sha) || large.has(sha)) return
    if (!buf || blobId(buf) !== sha) pending.add(sha)
    else if (buf.length > maxBytes) large.add(sha)
    else found.set(sha, buf)
  }

  for (const { entry, sections, binary } of items) {
    if (binary) continue
    const [first, second] = sections
    if (!first) {
      offer(entry.oldSha, null)
      offer(entry.newSha, null)
    } else if (entry.status === 'A') {
      offer(entry.newSha, sideFromSection(first, 'new'))
    } else if (entry.status === 'D') {
      offer(entry.oldSha, sideFromSection(first, 'old'))
    } else if (entry.status === 'T') {
      offer(entry.oldSha, sideFromSection(first, 'old'))
      offer(entry.newSha, second ? sideFromSection(second, 'new') : null)
    } else {
      const newSide = fromDisk.get(entry.newSha)
      offer(entry.newSha, newSide)
      offer(entry.oldSha, newSide ? reverseApply(newSide, first) : null)
    }
  }

  for (const sha of found.keys()) pending.delete(sha)
  if (pending.size > 0) {
    const store = await readBlobs([...pending], maxBytes, gitOpts)
    for (const [sha, buf] of store.contents) found.set(sha, buf)
    for (const [sha, size] of store.sizes) if (size > maxBytes) large.add(sha)
  }
  return { get: (sha) => found.get(sha), tooLarge: (sha) => large.has(sha) && !found.has(sha) }
}

/**
 * The bytes at `rel` in the workspace, or a symlink's target; null when absent, of another type, too
 * large, or reached through a symbolic link in any parent (workspace-read.ts: parents walked with lstat,
 * only regular files opened, with O_NOFOLLOW). `symlink` null: whichever the path is. `dirsSeen` caches
 * the parents already checked during one diff.
 */
function readFromDisk(
  workspace: string,
  rel: string,
  symlink: boolean | null,
  maxBytes: number,
  dirsSeen: Set<string>,
): Buffer | null {
  try {
    const found = lstatNoFollow(workspace, rel, dirsSeen)
    if (!found.ok || !found.info) return null
    if (found.info.isSymbolicLink()) {
      return symlink === false ? null : readlinkSync(found.abs, { encoding: 'buffer' })
    }
    if (symlink === true || !found.info.isFile() || found.info.size > maxBytes) return null
    // The parents were checked just now: the reader needs to check only the file itself.
    const read = readWorkspaceFileSync(workspace, rel, { maxBytes }, dirsSeen)
    return read.ok ? read.content : null
  } catch {
    return null
  }
}
