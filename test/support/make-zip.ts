import { writeFile } from 'node:fs/promises'
import { crc32, deflateRawSync } from 'node:zlib'

/**
 * One entry of a test archive. Everything a hostile archive might lie about can be set by hand: the raw
 * name bytes, the declared sizes and CRC, flags, the method, the unix mode, and where the central
 * directory says the data lives.
 */
export interface ZipEntrySpec {
  /** A string is stored as UTF-8 with the UTF-8 flag; a Buffer is stored as is (no flag: CP437). */
  name: string | Buffer
  data?: string | Buffer
  /** Compression of files (default 'deflate'); directories are always stored. */
  method?: 'deflate' | 'store'
  /** A symlink entry whose content is this target (mode 0o120777 unless `mode` says otherwise). */
  symlink?: string
  /** A directory entry (give the name a trailing '/'). */
  dir?: boolean
  /** Unix mode with its type bits, e.g. 0o100755. Defaults by kind. */
  mode?: number
  /** Made by MS-DOS: no unix mode in the external attributes. */
  dos?: boolean
  /** Lies, for hostile archives. */
  declaredSize?: number
  declaredCompressedSize?: number
  crc?: number
  /** Extra general-purpose flags (0x1: encrypted). */
  flags?: number
  /** Raw compression method written in the headers (e.g. 12, bzip2); data is still deflated or stored. */
  methodId?: number
  /** The central record points at this earlier entry's local header: no data of its own (overlap bomb). */
  sameDataAs?: number
}

export interface ZipOptions {
  /** Write ZIP64 extra fields and the ZIP64 end records for every entry. */
  zip64?: boolean
  comment?: string
  /** Entry count written in the end record (a lie, if it differs). */
  entryCount?: number
}

const LOCAL = 0x04034b50
const CENTRAL = 0x02014b50

function u64(value: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(value % 0x100000000, 0)
  b.writeUInt32LE(Math.floor(value / 0x100000000), 4)
  return b
}

function zip64Extra(fields: number[]): Buffer {
  const head = Buffer.alloc(4)
  head.writeUInt16LE(0x0001, 0)
  head.writeUInt16LE(fields.length * 8, 2)
  return Buffer.concat([head, ...fields.map(u64)])
}

/** Builds a ZIP archive in memory. */
export function buildZip(entries: ZipEntrySpec[], opts: ZipOptions = {}): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  const offsets: number[] = []
  let offset = 0
  const z64 = opts.zip64 === true
  for (const spec of entries) {
    const name = typeof spec.name === 'string' ? Buffer.from(spec.name, 'utf8') : spec.name
    const raw = Buffer.from(spec.symlink ?? spec.data ?? '')
    const methodId = spec.methodId ?? (spec.dir || spec.method === 'store' ? 0 : 8)
    const data = spec.dir || spec.method === 'store' ? raw : deflateRawSync(raw)
    const crc = spec.crc ?? crc32(raw)
    const size = spec.declaredSize ?? raw.length
    const csize = spec.declaredCompressedSize ?? data.length
    const flags = (typeof spec.name === 'string' ? 0x800 : 0) | (spec.flags ?? 0)
    const mode = spec.mode ?? (spec.dir ? 0o040755 : spec.symlink !== undefined ? 0o120777 : 0o100644)
    const madeBy = spec.dos ? 20 : (3 << 8) | 63
    const external = ((spec.dos ? 0 : mode) * 0x10000 + (spec.dir ? 0x10 : 0)) >>> 0

    let at: number
    if (spec.sameDataAs !== undefined) {
      at = offsets[spec.sameDataAs] ?? 0
    } else {
      at = offset
      const extra = z64 ? zip64Extra([size, csize]) : Buffer.alloc(0)
      const h = Buffer.alloc(30)
      h.writeUInt32LE(LOCAL, 0)
      h.writeUInt16LE(z64 ? 45 : 20, 4)
      h.writeUInt16LE(flags, 6)
      h.writeUInt16LE(methodId, 8)
      h.writeUInt32LE(crc >>> 0, 14)
      h.writeUInt32LE(z64 ? 0xffffffff : csize, 18)
      h.writeUInt32LE(z64 ? 0xffffffff : size, 22)
      h.writeUInt16LE(name.length, 26)
      h.writeUInt16LE(extra.length, 28)
      parts.push(h, name, extra, data)
      offset += h.length + name.length + extra.length + data.length
    }
    offsets.push(at)

    const extra = z64 ? zip64Extra([size, csize, at]) : Buffer.alloc(0)
    const c = Buffer.alloc(46)
    c.writeUInt32LE(CENTRAL, 0)
    c.writeUInt16LE(madeBy, 4)
    c.writeUInt16LE(z64 ? 45 : 20, 6)
    c.writeUInt16LE(flags, 8)
    c.writeUInt16LE(methodId, 10)
    c.writeUInt32LE(crc >>> 0, 16)
    c.writeUInt32LE(z64 ? 0xffffffff : csize, 20)
    c.writeUInt32LE(z64 ? 0xffffffff : size, 24)
    c.writeUInt16LE(name.length, 28)
    c.writeUInt16LE(extra.length, 30)
    c.writeUInt32LE(external, 38)
    c.writeUInt32LE(z64 ? 0xffffffff : at, 42)
    central.push(c, name, extra)
  }
  const cd = Buffer.concat(central)
  const count = opts.entryCount ?? entries.length
  const comment = Buffer.from(opts.comment ?? '', 'latin1')
  const tail: Buffer[] = []
  if (z64) {
    const rec = Buffer.alloc(56)
    rec.writeUInt32LE(0x06064b50, 0)
    u64(44).copy(rec, 4)
    rec.writeUInt16LE(45, 12)
    rec.writeUInt16LE(45, 14)
    u64(count).copy(rec, 24)
    u64(count).copy(rec, 32)
    u64(cd.length).copy(rec, 40)
    u64(offset).copy(rec, 48)
    const loc = Buffer.alloc(20)
    loc.writeUInt32LE(0x07064b50, 0)
    u64(offset + cd.length).copy(loc, 8)
    loc.writeUInt32LE(1, 16)
    tail.push(rec, loc)
  }
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(z64 ? 0xffff : Math.min(count, 0xffff), 8)
  end.writeUInt16LE(z64 ? 0xffff : Math.min(count, 0xffff), 10)
  end.writeUInt32LE(z64 ? 0xffffffff : cd.length, 12)
  end.writeUInt32LE(z64 ? 0xffffffff : offset, 16)
  end.writeUInt16LE(comment.length, 20)
  return Buffer.concat([...parts, cd, ...tail, end, comment])
}

/** Writes a ZIP archive built by `buildZip` to `path`; returns `path`. */
export async function writeZip(
  path: string,
  entries: ZipEntrySpec[],
  opts: ZipOptions = {},
): Promise<string> {
  await writeFile(path, buildZip(entries, opts))
  return path
}
