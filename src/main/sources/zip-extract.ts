import { createWriteStream, read } from 'node:fs'
import { join } from 'node:path'
import { Readable, Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, createInflateRaw, inflateRawSync } from 'node:zlib'
import { AppError } from '../errors'
import { readExactly } from './zip-entries'
import { shown, unsafe, type PlannedEntry } from './zip-plan'
import { WritePool, fsFailure } from './zip-write'

export interface ExtractTarget {
  fd: number
  dest: string
  signal?: AbortSignal
  /** Called as entries and bytes land on disk. */
  progress: (entries: number, bytes: number) => void
}

/** Entries whose local record (header + data) fits in this are read and inflated in memory. */
const SMALL_SPAN = 2 << 20
/** ... and whose uncompressed size is at most this. Larger ones are streamed. */
const SMALL_SIZE = 8 << 20
/** Consecutive small entries are read together, this many bytes at a time. */
const WINDOW = 4 << 20
/** Chunk size of the streaming path. */
const CHUNK = 1 << 20

type Group = { stream: PlannedEntry } | { start: number; end: number; entries: PlannedEntry[] }

function corrupt(message: string): AppError {
  return new AppError('import_failed', message, { hint: 'Re-create the archive or download it again.' })
}

function liar(p: PlannedEntry): AppError {
  return unsafe(
    `"${shown(p.path)}" inflates to more than the ${p.entry.uncompressedSize} bytes it declares.`,
    {
      entry: shown(p.path),
    },
  )
}

function isSmall(p: PlannedEntry): boolean {
  return p.limit - p.entry.localHeaderOffset <= SMALL_SPAN && p.entry.uncompressedSize <= SMALL_SIZE
}

/** Splits entries (sorted by offset) into windows of consecutive small entries and single large ones. */
function groups(files: PlannedEntry[]): Group[] {
  const out: Group[] = []
  let cur: { start: number; end: number; entries: PlannedEntry[] } | undefined
  for (const p of files) {
    if (!isSmall(p)) {
      cur = undefined
      out.push({ stream: p })
      continue
    }
    if (!cur || p.limit - cur.start > WINDOW || p.entry.localHeaderOffset < cur.end) {
      cur = { start: p.entry.localHeaderOffset, end: p.limit, entries: [] }
      out.push(cur)
    }
    cur.entries.push(p)
    cur.end = p.limit
  }
  return out
}

/** Reads exactly `length` bytes at `position`; a short read means the archive is truncated. */
export const preadFull = (fd: number, length: number, position: number): Promise<Buffer> =>
  readExactly(fd, length, position, () => corrupt('The archive is truncated (its data ends early).'))

/** Offset of an entry's data from its local header at `buf[at]`, checked against the entry's limit. */
function dataOffset(buf: Buffer, at: number, p: PlannedEntry): number {
  if (buf.length < at + 30 || buf.readUInt32LE(at) !== 0x04034b50) {
    throw corrupt(`The archive is corrupt: "${shown(p.path)}" has no valid local header.`)
  }
  const offset = 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28)
  if (p.entry.localHeaderOffset + offset + p.entry.compressedSize > p.limit) {
    throw unsafe(
      `Entry "${shown(p.path)}" overlaps another entry's data: the archive is malformed or a ZIP bomb.`,
      {
        entry: shown(p.path),
      },
    )
  }
  return offset
}

/** Inflates (or copies) one entry held in memory and checks its size and CRC. */
function decode(p: PlannedEntry, data: Buffer): Buffer {
  const e = p.entry
  // Stored data is copied so that a pending write does not pin the whole read window.
  let out = e.method === 0 ? Buffer.from(data) : data
  if (e.method === 8) {
    try {
      out = inflateRawSync(data, { maxOutputLength: e.uncompressedSize + 1 })
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw liar(p)
      throw corrupt(`The archive is corrupt: "${shown(p.path)}" cannot be decompressed.`)
    }
  }
  if (out.length > e.uncompressedSize) throw liar(p)
  if (out.length < e.uncompressedSize)
    throw corrupt(`The archive is corrupt: "${shown(p.path)}" is shorter than declared.`)
  if (crc32(out) !== e.crc32) throw corrupt(`The archive is corrupt: "${shown(p.path)}" fails its checksum.`)
  return out
}

/** Reads and decodes one small entry on its own (symlink targets). */
export async function readEntry(fd: number, p: PlannedEntry): Promise<Buffer> {
  const span = p.limit - p.entry.localHeaderOffset
  const buf = await preadFull(
    fd,
    Math.min(span, 30 + 2 * 0xffff + p.entry.compressedSize),
    p.entry.localHeaderOffset,
  )
  const at = dataOffset(buf, 0, p)
  return decode(p, buf.subarray(at, at + p.entry.compressedSize))
}

/** A readable over [start, start + length) of an fd it does not own (fs streams close theirs). */
function rangeStream(fd: number, start: number, length: number): Readable {
  let pos = start
  const end = start + length
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      const n = Math.min(CHUNK, end - pos)
      if (n <= 0) {
        this.push(null)
        return
      }
      const buf = Buffer.allocUnsafe(n)
      read(fd, buf, 0, n, pos, (err, got) => {
        if (err) return this.destroy(err)
        if (got === 0) return this.destroy(corrupt('The archive is truncated (its data ends early).'))
        pos += got
        this.push(got < n ? buf.subarray(0, got) : buf)
      })
    },
  })
}

/** Streams one large entry to disk with bounded memory, counting the real bytes and checking the CRC. */
async function streamEntry(t: ExtractTarget, p: PlannedEntry): Promise<void> {
  const e = p.entry
  const head = await preadFull(t.fd, 30, e.localHeaderOffset)
  const start = e.localHeaderOffset + dataOffset(head, 0, p)
  let count = 0
  let crc = 0
  const check = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      count += chunk.length
      if (count > e.uncompressedSize) return cb(liar(p))
      crc = crc32(chunk, crc)
      t.progress(0, chunk.length)
      cb(null, chunk)
    },
  })
  const path = join(t.dest, p.path)
  const out = createWriteStream(path, { flags: 'wx', mode: p.mode })
  const source = rangeStream(t.fd, start, e.compressedSize)
  const opts = t.signal ? { signal: t.signal } : {}
  try {
    if (e.method === 8) await pipeline(source, createInflateRaw({ chunkSize: 256 << 10 }), check, out, opts)
    else await pipeline(source, check, out, opts)
  } catch (err) {
    if (err instanceof AppError || (err as Error).name === 'AbortError') throw err
    if ((err as { code?: unknown }).code?.toString().startsWith('Z_')) {
      throw corrupt(`The archive is corrupt: "${shown(p.path)}" cannot be decompressed.`)
    }
    throw fsFailure(p.path, err)
  }
  if (count < e.uncompressedSize)
    throw corrupt(`The archive is corrupt: "${shown(p.path)}" is shorter than declared.`)
  if (crc !== e.crc32) throw corrupt(`The archive is corrupt: "${shown(p.path)}" fails its checksum.`)
  t.progress(1, 0)
}

/**
 * Writes every planned file under `t.dest`, whose directories already exist. Small entries are read a
 * window at a time (the next window prefetched), inflated synchronously and written by a pool of
 * concurrent writes; large ones are streamed. On failure, waits for every write in flight before throwing,
 * so the caller can clean up knowing nothing more will land.
 */
export async function extractFiles(t: ExtractTarget, files: PlannedEntry[]): Promise<void> {
  const pool = new WritePool((bytes) => t.progress(1, bytes))
  const list = groups(files)
  const fetchGroup = (g: Group | undefined): Promise<Buffer> | undefined =>
    g && 'entries' in g ? preadFull(t.fd, g.end - g.start, g.start) : undefined
  let prefetch = fetchGroup(list[0])
  try {
    for (let i = 0; i < list.length; i++) {
      t.signal?.throwIfAborted()
      const g = list[i] as Group
      if ('stream' in g) {
        await streamEntry(t, g.stream)
        prefetch = fetchGroup(list[i + 1])
        continue
      }
      const buf = await (prefetch as Promise<Buffer>)
      prefetch = fetchGroup(list[i + 1])
      for (const p of g.entries) {
        t.signal?.throwIfAborted()
        const at = p.entry.localHeaderOffset - g.start
        const from = at + dataOffset(buf, at, p)
        const data = decode(p, buf.subarray(from, from + p.entry.compressedSize))
        await pool.write(join(t.dest, p.path), p.path, data, p.mode)
      }
    }
    await pool.drain()
  } catch (err) {
    await pool.settle()
    await prefetch?.catch(() => undefined)
    throw err
  }
}
