/**
 * The tar format, both ways, with nothing trusted on the way in: 512-byte ustar headers (also GNU's
 * `ustar  ` magic), pax extended records (`x`) for long or non-ASCII names and large sizes, GNU long names
 * (`L`, `K`). Writing always emits ustar plus a pax record when a field does not fit; Docker's extractor,
 * GNU tar and Python's tarfile all read that.
 */

export const BLOCK = 512

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other'

/** One header as read: the fields a ustar block holds, before a pax or GNU record is applied. */
export interface RawHeader {
  name: Buffer
  mode: number
  size: number
  typeflag: string
  linkname: Buffer
}

const TYPE_BY_FLAG: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
}

/** What an entry's typeflag means (`other` for every flag this reader does not write files for). */
export const entryType = (typeflag: string): TarEntryType => TYPE_BY_FLAG[typeflag] ?? 'other'

/** The bytes of a NUL-terminated field. */
function field(block: Buffer, start: number, length: number): Buffer {
  const slice = block.subarray(start, start + length)
  const end = slice.indexOf(0)
  return end < 0 ? slice : slice.subarray(0, end)
}

/**
 * A numeric field: octal digits (NUL/space padded) or GNU's base-256 (high bit set). Returns undefined
 * when it is neither, or when it does not fit a safe integer.
 */
export function parseNumber(block: Buffer, start: number, length: number): number | undefined {
  const slice = block.subarray(start, start + length)
  if (slice[0] !== undefined && (slice[0] & 0x80) !== 0) {
    if (slice[0] !== 0x80) return undefined
    let value = 0
    for (const byte of slice.subarray(1)) {
      value = value * 256 + byte
      if (!Number.isSafeInteger(value)) return undefined
    }
    return value
  }
  const text = slice
    .toString('latin1')
    .replace(/[\0 ]+$/u, '')
    .replace(/^ +/u, '')
  if (text === '') return 0
  if (!/^[0-7]+$/u.test(text)) return undefined
  const value = parseInt(text, 8)
  return Number.isSafeInteger(value) ? value : undefined
}

/** Whether the block's checksum is right (sum of its bytes with the checksum field read as spaces). */
function checksumOk(block: Buffer): boolean {
  const stored = parseNumber(block, 148, 8)
  let unsigned = 0
  let signed = 0
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0)
    unsigned += byte
    signed += byte > 127 ? byte - 256 : byte
  }
  return stored === unsigned || stored === signed
}

export const isZeroBlock = (block: Buffer): boolean => block.every((b) => b === 0)

/** Parses a 512-byte header block; a string says why it is not one (a corrupt or hostile stream). */
export function parseHeader(block: Buffer): RawHeader | string {
  if (!checksumOk(block)) return 'a header has a wrong checksum'
  const magic = block.subarray(257, 263).toString('latin1')
  const ustar = magic === 'ustar\0' || magic === 'ustar '
  const size = parseNumber(block, 124, 12)
  const mode = parseNumber(block, 100, 8)
  if (size === undefined) return 'a header has an unreadable size'
  if (mode === undefined) return 'a header has an unreadable mode'
  let name = field(block, 0, 100)
  const prefix = ustar && magic === 'ustar\0' ? field(block, 345, 155) : Buffer.alloc(0)
  if (prefix.length) name = Buffer.concat([prefix, Buffer.from('/'), name])
  return {
    name,
    mode,
    size,
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: field(block, 157, 100),
  }
}

/**
 * The records of a pax extended header (`<length> <key>=<value>\n` each, the length counting the whole
 * record). Returns a string saying why when the data is malformed.
 */
export function parsePax(data: Buffer): Map<string, Buffer> | string {
  const out = new Map<string, Buffer>()
  let offset = 0
  while (offset < data.length) {
    if (data[offset] === 0) break
    const space = data.indexOf(0x20, offset)
    if (space < 0 || space - offset > 12) return 'a pax record has no length'
    const length = Number(data.subarray(offset, space).toString('latin1'))
    if (!Number.isInteger(length) || length <= space - offset + 1 || offset + length > data.length) {
      return 'a pax record has a wrong length'
    }
    const record = data.subarray(space + 1, offset + length)
    if (record[record.length - 1] !== 0x0a) return 'a pax record does not end in a newline'
    const equals = record.indexOf(0x3d)
    if (equals <= 0) return 'a pax record has no key'
    out.set(record.subarray(0, equals).toString('utf8'), Buffer.from(record.subarray(equals + 1, -1)))
    offset += length
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// Writing.

export interface WriteHeader {
  path: string
  type: 'file' | 'dir' | 'symlink'
  size: number
  mode: number
  uid: number
  gid: number
  mtimeSeconds: number
  linkTarget?: string
}

const TYPEFLAG: Readonly<Record<WriteHeader['type'], string>> = { file: '0', dir: '5', symlink: '2' }
const MAX_OCTAL_11 = 0o77777777777

function writeOctal(block: Buffer, value: number, start: number, length: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', start, length, 'latin1')
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
}

const fitsUstar = (text: string, max: number): boolean =>
  /^[\x20-\x7e]*$/u.test(text) && Buffer.byteLength(text) <= max

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`
  const bodyBytes = Buffer.byteLength(body)
  let length = bodyBytes + String(bodyBytes).length
  if (String(length).length !== String(bodyBytes).length) length++
  return Buffer.from(`${length}${body}`, 'utf8')
}

function ustarBlock(h: WriteHeader, name: string, typeflag: string, size: number, link = ''): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(name, 0, 100, 'utf8')
  writeOctal(block, h.mode & 0o7777, 100, 8)
  writeOctal(block, h.uid, 108, 8)
  writeOctal(block, h.gid, 116, 8)
  writeOctal(block, size, 124, 12)
  writeOctal(block, Math.max(0, Math.min(MAX_OCTAL_11, Math.floor(h.mtimeSeconds))), 136, 12)
  block.write(typeflag, 156, 1, 'latin1')
  block.write(link, 157, 100, 'utf8')
  block.write('ustar\0' + '00', 257, 8, 'latin1')
  writeChecksum(block)
  return block
}

/** Zero bytes that pad `size` bytes of content up to a whole block. */
export const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK)

/** The header block(s) of one entry: a pax record first when the name, link or size needs one. */
export function encodeHeader(h: WriteHeader): Buffer {
  const name = h.type === 'dir' ? `${h.path}/` : h.path
  const link = h.linkTarget ?? ''
  const records: Buffer[] = []
  if (!fitsUstar(name, 100)) records.push(paxRecord('path', name))
  if (!fitsUstar(link, 100)) records.push(paxRecord('linkpath', link))
  if (h.size > MAX_OCTAL_11) records.push(paxRecord('size', String(h.size)))
  const size = h.size > MAX_OCTAL_11 ? 0 : h.size
  const main = ustarBlock(
    h,
    fitsUstar(name, 100) ? name : 'pax-long-name',
    TYPEFLAG[h.type],
    size,
    fitsUstar(link, 100) ? link : '',
  )
  if (!records.length) return main
  const data = Buffer.concat(records)
  const pax = ustarBlock({ ...h, mode: 0o644 }, 'PaxHeader', 'x', data.length)
  return Buffer.concat([pax, data, padding(data.length), main])
}

/** What ends an archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2)
