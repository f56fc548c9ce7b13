import { END_OF_ARCHIVE, padding } from '../../../src/main/util/tar-format'

/**
 * Hand-made shipBack streams for the attack tests: a length line and the JSON list of deleted paths,
 * then tar blocks written field by field — so a case can hold what no honest tar writer emits (a `..`
 * name, a NUL in a pax path, a hard link to /etc/passwd, a header that lies about its size).
 */
export interface RawEntry {
  name: string | Buffer
  typeflag?: string
  size?: number
  mode?: number
  linkname?: string
  /** Content written after the header (default: `size` zero bytes, none when `omitContent`). */
  content?: Buffer
  omitContent?: boolean
}

function octal(block: Buffer, value: number, start: number, length: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', start, length, 'latin1')
}

/** One ustar header block with these fields and a right checksum. */
export function headerBlock(e: RawEntry): Buffer {
  const block = Buffer.alloc(512)
  const name = typeof e.name === 'string' ? Buffer.from(e.name) : e.name
  name.copy(block, 0, 0, Math.min(100, name.length))
  octal(block, e.mode ?? 0o644, 100, 8)
  octal(block, 10001, 108, 8)
  octal(block, 10001, 116, 8)
  octal(block, e.size ?? e.content?.length ?? 0, 124, 12)
  octal(block, 1_700_000_000, 136, 12)
  block.write(e.typeflag ?? '0', 156, 1, 'latin1')
  block.write(e.linkname ?? '', 157, 100, 'utf8')
  block.write('ustar\0' + '00', 257, 8, 'latin1')
  block.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of block) sum += byte
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return block
}

/** The blocks of one entry: header, content, padding. */
export function entry(e: RawEntry): Buffer {
  const content = e.content ?? Buffer.alloc(e.size ?? 0)
  if (e.omitContent) return headerBlock(e)
  return Buffer.concat([
    headerBlock({ ...e, size: e.size ?? content.length }),
    content,
    padding(content.length),
  ])
}

/** A pax extended header (`x`) holding these records, for the entry that follows it. */
export function paxEntry(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = []
  for (const [key, value] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')])
    let length = body.length + String(body.length).length
    if (String(length).length !== String(body.length).length) length++
    parts.push(Buffer.concat([Buffer.from(String(length)), body]))
  }
  return entry({ name: 'PaxHeader', typeflag: 'x', content: Buffer.concat(parts) })
}

export const file = (name: string, text: string, mode = 0o644): Buffer =>
  entry({ name, content: Buffer.from(text), mode })

/** The whole stream: `{deleted, skipped}` first, then the entries and the end-of-archive marker. */
export function shipStream(entries: Buffer[], deleted: string[] = [], end = true): Buffer {
  const head = Buffer.from(JSON.stringify({ deleted, skipped: [] }))
  return Buffer.concat([
    Buffer.from(`${head.length}\n`),
    head,
    ...entries,
    end ? END_OF_ARCHIVE : Buffer.alloc(0),
  ])
}

/** The stream as the extractor reads it: in chunks of `size` bytes, as a socket would deliver it. */
export async function* chunks(data: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size)
}
