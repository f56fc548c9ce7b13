import { read } from 'node:fs'
import yauzl from 'yauzl'

/** One central-directory record, with sizes and offsets already widened by any ZIP64 extra field. */
export interface RawEntry {
  /** The name as stored (UTF-8 flag, Info-ZIP Unicode path field or CP437), not yet normalized. */
  name: string
  flags: number
  method: number
  crc32: number
  compressedSize: number
  uncompressedSize: number
  localHeaderOffset: number
  externalAttributes: number
  versionMadeBy: number
}

export interface CentralDirectory {
  entries: RawEntry[]
  /** Where the central directory starts: no entry's data may reach past it. */
  centralDirectoryOffset: number
}

/** A malformed archive; the message is for `details`, not for display on its own. */
export class ZipFormatError extends Error {}

/** Thrown when the archive has more entries than allowed, before any entry is read. */
export class TooManyEntriesError extends Error {
  constructor(readonly count: number) {
    super(`archive has ${count} entries`)
  }
}

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
const MAX_COMMENT = 0xffff
/** A central directory larger than this is refused rather than read into memory. */
const MAX_CD_BYTES = 512 << 20

/** Reads exactly `length` bytes at `position`; a short read rejects with `short()`. */
export function readExactly(
  fd: number,
  length: number,
  position: number,
  short: () => Error = () => new ZipFormatError('unexpected end of file'),
): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  return new Promise((resolve, reject) => {
    const step = (done: number): void => {
      if (done === length) return resolve(buf)
      read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err)
        if (n === 0) return reject(short())
        step(done + n)
      })
    }
    step(0)
  })
}

function u64(buf: Buffer, at: number): number {
  const value = buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 0x100000000
  if (value > Number.MAX_SAFE_INTEGER) throw new ZipFormatError('64-bit field out of range')
  return value
}

/** Finds the end-of-central-directory record (and its ZIP64 form): entry count, offset and size of the CD. */
async function findDirectory(
  fd: number,
  size: number,
): Promise<{ count: number; offset: number; bytes: number }> {
  const tailSize = Math.min(size, 22 + MAX_COMMENT + 20)
  const tail = await readExactly(fd, tailSize, size - tailSize)
  for (let i = tailSize - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD) continue
    if (tail.readUInt16LE(i + 20) !== tailSize - i - 22) continue // comment length must reach the end
    if (tail.readUInt16LE(i + 4) !== 0 || tail.readUInt16LE(i + 6) !== 0) {
      throw new ZipFormatError('multi-disk archives are not supported')
    }
    let count = tail.readUInt16LE(i + 10)
    let bytes = tail.readUInt32LE(i + 12)
    let offset = tail.readUInt32LE(i + 16)
    if (i >= 20 && tail.readUInt32LE(i - 20) === ZIP64_LOCATOR) {
      const at = u64(tail, i - 20 + 8)
      if (at + 56 > size) throw new ZipFormatError('ZIP64 end of central directory out of range')
      const rec = await readExactly(fd, 56, at)
      if (rec.readUInt32LE(0) !== ZIP64_EOCD)
        throw new ZipFormatError('invalid ZIP64 end of central directory')
      if (rec.readUInt32LE(16) !== 0) throw new ZipFormatError('multi-disk archives are not supported')
      count = u64(rec, 32)
      bytes = u64(rec, 40)
      offset = u64(rec, 48)
    }
    if (offset + bytes > size) throw new ZipFormatError('central directory out of range (truncated file?)')
    return { count, offset, bytes }
  }
  throw new ZipFormatError('end of central directory not found (not a ZIP file, or truncated)')
}

function isAscii(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if ((buf[i] as number) > 0x7f) return false
  return true
}

/** Entry name: UTF-8 when flagged, the Info-ZIP Unicode path field when valid, else CP437 (yauzl's rules). */
function decodeName(flags: number, name: Buffer, extra: Buffer): string {
  let plain = (flags & 0x800) !== 0 || isAscii(name)
  if (plain) {
    for (let i = 0; i + 4 <= extra.length; i += 4 + extra.readUInt16LE(i + 2)) {
      if (extra.readUInt16LE(i) === 0x7075) plain = false
    }
  }
  if (plain) return (flags & 0x800) !== 0 ? name.toString('utf8') : name.toString('latin1')
  return yauzl.getFileNameLowLevel(flags, name, yauzl.parseExtraFields(extra), true)
}

/** Widens 0xffffffff fields from the ZIP64 extended information extra field. */
function applyZip64(e: RawEntry, extra: Buffer): void {
  for (let i = 0; i + 4 <= extra.length;) {
    const id = extra.readUInt16LE(i)
    const len = extra.readUInt16LE(i + 2)
    if (i + 4 + len > extra.length) throw new ZipFormatError('extra field out of range')
    if (id === 0x0001) {
      let at = i + 4
      const end = at + len
      const take = (): number => {
        if (at + 8 > end) throw new ZipFormatError('ZIP64 extra field too short')
        const v = u64(extra, at)
        at += 8
        return v
      }
      if (e.uncompressedSize === 0xffffffff) e.uncompressedSize = take()
      if (e.compressedSize === 0xffffffff) e.compressedSize = take()
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = take()
      return
    }
    i += 4 + len
  }
}

/**
 * Reads the whole central directory of the ZIP open at `fd` (ZIP64 aware) in one read and parses it in
 * a single pass. Throws `ZipFormatError` for anything malformed and `TooManyEntriesError` when the
 * declared count exceeds `maxEntries` (before reading the entries).
 */
export async function readCentralDirectory(
  fd: number,
  size: number,
  maxEntries: number,
): Promise<CentralDirectory> {
  const { count, offset, bytes } = await findDirectory(fd, size)
  if (count > maxEntries) throw new TooManyEntriesError(count)
  if (bytes > MAX_CD_BYTES) throw new ZipFormatError('central directory too large')
  if (bytes < count * 46) throw new ZipFormatError('central directory too small for its entry count')
  const cd = bytes > 0 ? await readExactly(fd, bytes, offset) : Buffer.alloc(0)
  const entries: RawEntry[] = []
  let at = 0
  for (let n = 0; n < count; n++) {
    if (at + 46 > cd.length || cd.readUInt32LE(at) !== CENTRAL) {
      throw new ZipFormatError('invalid central directory record')
    }
    const nameLen = cd.readUInt16LE(at + 28)
    const extraLen = cd.readUInt16LE(at + 30)
    const commentLen = cd.readUInt16LE(at + 32)
    const end = at + 46 + nameLen + extraLen + commentLen
    if (end > cd.length) throw new ZipFormatError('central directory record out of range')
    const flags = cd.readUInt16LE(at + 8)
    const name = cd.subarray(at + 46, at + 46 + nameLen)
    const extra = cd.subarray(at + 46 + nameLen, at + 46 + nameLen + extraLen)
    const e: RawEntry = {
      name: decodeName(flags, name, extra),
      flags,
      method: cd.readUInt16LE(at + 10),
      crc32: cd.readUInt32LE(at + 16),
      compressedSize: cd.readUInt32LE(at + 20),
      uncompressedSize: cd.readUInt32LE(at + 24),
      localHeaderOffset: cd.readUInt32LE(at + 42),
      externalAttributes: cd.readUInt32LE(at + 38),
      versionMadeBy: cd.readUInt16LE(at + 4),
    }
    if (
      e.uncompressedSize === 0xffffffff ||
      e.compressedSize === 0xffffffff ||
      e.localHeaderOffset === 0xffffffff
    ) {
      applyZip64(e, extra)
    }
    entries.push(e)
    at = end
  }
  // More records than the end record declares (an entry count that wrapped at 65,535 without ZIP64):
  // importing only the declared ones would silently drop files.
  if (at !== cd.length) {
    throw new ZipFormatError('the central directory holds more records than the archive declares')
  }
  return { entries, centralDirectoryOffset: offset }
}
