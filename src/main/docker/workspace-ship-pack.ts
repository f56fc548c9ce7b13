import { createHash } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { AppError } from '../errors'
import { encodeHeader, END_OF_ARCHIVE, padding } from '../util/tar-format'
import { sha256, type HostEntry, type ManifestEntry } from './workspace-manifest'
import type { SandboxUser } from './workspace-owner'

/**
 * The tar stream of a host tree for shipIn: every entry of `walkHostTree` in order, owned by the sandbox
 * user, modes kept (permission bits only), links as links. Small files are read a window ahead, so the
 * disk and the engine work at the same time; large ones are streamed in pieces. Each file is opened
 * without following a link and must still be the regular file of the size the walk saw.
 */
export interface PackProgress {
  files: number
  bytes: number
  totalFiles: number
  totalBytes: number
}

const SMALL_FILE = 4 * 1024 * 1024
const PIECE = 1024 * 1024
const READ_AHEAD = 32
const BATCH = 256 * 1024
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK

const changedWhileShipping = (path: string): AppError =>
  new AppError('import_failed', `"${path}" changed while the workspace was being shipped.`, {
    hint: 'Nothing should write to the task’s workspace while it is shipped; start the task again.',
  })

async function openChecked(entry: HostEntry): Promise<FileHandle> {
  const handle = await open(entry.abs, OPEN_FLAGS).catch((err: unknown) => {
    throw new AppError('import_failed', `Could not read "${entry.path}" to ship it.`, { cause: err })
  })
  const info = await handle.stat()
  if (!info.isFile() || info.size !== entry.size) {
    await handle.close()
    throw changedWhileShipping(entry.path)
  }
  return handle
}

async function readSmall(entry: HostEntry): Promise<Buffer> {
  const handle = await openChecked(entry)
  try {
    const data = Buffer.allocUnsafe(entry.size)
    let got = 0
    while (got < entry.size) {
      const { bytesRead } = await handle.read(data, got, entry.size - got, got)
      if (bytesRead === 0) throw changedWhileShipping(entry.path)
      got += bytesRead
    }
    return data
  } finally {
    await handle.close()
  }
}

async function* readLarge(entry: HostEntry, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  const handle = await openChecked(entry)
  try {
    for (let offset = 0; offset < entry.size;) {
      const piece = Buffer.allocUnsafe(Math.min(PIECE, entry.size - offset))
      const { bytesRead } = await handle.read(piece, 0, piece.length, offset)
      if (bytesRead === 0) throw changedWhileShipping(entry.path)
      const chunk = piece.subarray(0, bytesRead)
      hash.update(chunk)
      offset += bytesRead
      yield chunk
    }
  } finally {
    await handle.close()
  }
}

const isSmallFile = (e: HostEntry | undefined): boolean => e?.kind === 'file' && e.size <= SMALL_FILE

/**
 * A tiny file read synchronously: four system calls that each take microseconds, where a round trip
 * through the thread pool costs more than the read itself. Same checks as `openChecked`.
 */
function readTiny(entry: HostEntry): Buffer {
  let fd: number
  try {
    fd = openSync(entry.abs, OPEN_FLAGS)
  } catch (err) {
    throw new AppError('import_failed', `Could not read "${entry.path}" to ship it.`, { cause: err })
  }
  try {
    const info = fstatSync(fd)
    if (!info.isFile() || info.size !== entry.size) throw changedWhileShipping(entry.path)
    const data = Buffer.allocUnsafe(entry.size)
    let got = 0
    while (got < entry.size) {
      const n = readSync(fd, data, got, entry.size - got, got)
      if (n === 0) throw changedWhileShipping(entry.path)
      got += n
    }
    return data
  } finally {
    closeSync(fd)
  }
}

const TINY_FILE = 64 * 1024

function headerOf(entry: HostEntry, owner: SandboxUser): Buffer {
  return encodeHeader({
    path: entry.path,
    type: entry.kind === 'link' ? 'symlink' : entry.kind,
    size: entry.kind === 'file' ? entry.size : 0,
    mode: entry.mode,
    uid: owner.uid,
    gid: owner.gid,
    mtimeSeconds: entry.mtimeSeconds,
    linkTarget: entry.linkTarget,
  })
}

/**
 * Yields the archive in batches of about 256 KiB, pushing each entry's manifest line into `manifest` as
 * it goes; `signal` stops it between entries.
 */
export async function* packTree(
  entries: readonly HostEntry[],
  owner: SandboxUser,
  manifest: ManifestEntry[],
  opts: { signal?: AbortSignal; onProgress?: (p: PackProgress) => void } = {},
): AsyncGenerator<Buffer> {
  const files = entries.filter((e) => e.kind === 'file')
  const progress: PackProgress = {
    files: 0,
    bytes: 0,
    totalFiles: files.length,
    totalBytes: files.reduce((sum, e) => sum + e.size, 0),
  }
  const reads = new Map<number, Promise<Buffer>>()
  let scheduled = 0
  let batch: Buffer[] = []
  let batchBytes = 0
  const push = (b: Buffer): void => {
    batch.push(b)
    batchBytes += b.length
  }
  const flush = (): Buffer => {
    const out = Buffer.concat(batch)
    batch = []
    batchBytes = 0
    return out
  }
  for (let i = 0; i < entries.length; i++) {
    if (opts.signal?.aborted) throw new AppError('cancelled', 'Shipping the workspace was cancelled.')
    for (; scheduled < Math.min(entries.length, i + READ_AHEAD); scheduled++) {
      const ahead = entries[scheduled]
      if (ahead && isSmallFile(ahead) && ahead.size > TINY_FILE) {
        const read = readSmall(ahead)
        read.catch(() => undefined)
        reads.set(scheduled, read)
      }
    }
    const entry = entries[i]
    if (!entry) continue
    push(headerOf(entry, owner))
    let hash = entry.kind === 'link' ? sha256(entry.linkTarget ?? '') : ''
    if (entry.kind === 'file') {
      if (isSmallFile(entry)) {
        const data = entry.size <= TINY_FILE ? readTiny(entry) : await (reads.get(i) ?? readSmall(entry))
        reads.delete(i)
        hash = sha256(data)
        push(data)
      } else {
        const hasher = createHash('sha256')
        for await (const chunk of readLarge(entry, hasher)) {
          push(chunk)
          if (batchBytes >= BATCH) yield flush()
        }
        hash = hasher.digest('hex')
      }
      push(padding(entry.size))
      progress.files++
      progress.bytes += entry.size
      if (progress.files % 500 === 0) opts.onProgress?.({ ...progress })
    }
    manifest.push({ path: entry.path, kind: entry.kind, size: entry.size, mode: entry.mode, hash })
    if (batchBytes >= BATCH) yield flush()
  }
  push(END_OF_ARCHIVE)
  yield flush()
  opts.onProgress?.({ ...progress })
}
