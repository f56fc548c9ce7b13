import { AppError } from '../errors'
import {
  BLOCK,
  entryType,
  isZeroBlock,
  parseHeader,
  parsePax,
  type RawHeader,
  type TarEntryType,
} from './tar-format'

/**
 * A strict, streaming tar reader for archives nothing vouches for (a sandbox wrote them). It never holds
 * more than one header's worth of metadata in memory, caps what one entry's extended headers may take
 * (`maxHeaderBytes`), and stops with an `unsafe_archive` error at the first entry past `maxEntries` or the
 * first byte past `maxBytes` — before reading it. Names come out as UTF-8 or not at all (`path`
 * undefined); what to write, and where, is the caller's decision.
 */
export interface TarLimits {
  /** Entries (of every kind, extended headers included). */
  maxEntries: number
  /** Content bytes, all entries together, as the headers declare them. */
  maxBytes: number
  /** The pax and GNU long-name data of one entry. */
  maxHeaderBytes: number
}

export interface TarEntry {
  /** The name as UTF-8; undefined when its bytes are not valid UTF-8. */
  path: string | undefined
  type: TarEntryType
  typeflag: string
  size: number
  mode: number
  linkTarget: string | undefined
}

export type ChunkSink = (chunk: Buffer) => void | Promise<void>

/** The content of one entry: read it with `consume`, or leave it and the reader skips it. */
export interface EntryBody {
  consume(sink: ChunkSink): Promise<void>
}

/** Exact reads over an async stream of chunks. */
export class ByteSource {
  private chunks: Buffer[] = []
  private buffered = 0
  private ended = false
  private readonly iterator: AsyncIterator<Buffer>

  constructor(source: AsyncIterable<Buffer>) {
    this.iterator = source[Symbol.asyncIterator]()
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      const next = await this.iterator.next()
      if (next.done) this.ended = true
      else if (next.value.length) {
        this.chunks.push(next.value)
        this.buffered += next.value.length
      }
    }
  }

  private take(n: number): Buffer {
    const out: Buffer[] = []
    let left = n
    while (left > 0) {
      const head = this.chunks[0]
      if (!head) break
      if (head.length <= left) {
        out.push(head)
        this.chunks.shift()
        left -= head.length
      } else {
        out.push(head.subarray(0, left))
        this.chunks[0] = head.subarray(left)
        left = 0
      }
    }
    this.buffered -= n - left
    return out.length === 1 ? (out[0] ?? Buffer.alloc(0)) : Buffer.concat(out)
  }

  /** Up to `n` bytes: fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n)
    return this.take(Math.min(n, this.buffered))
  }

  /** Exactly `n` bytes, or an error naming `what`. */
  async exactly(n: number, what: string): Promise<Buffer> {
    const data = await this.read(n)
    if (data.length < n) throw truncated(what)
    return data
  }

  /** Passes exactly `n` bytes to `sink` as they arrive (no more than one chunk held at a time). */
  async forward(n: number, sink: ChunkSink | undefined, what: string): Promise<void> {
    let left = n
    while (left > 0) {
      if (this.buffered === 0) await this.fill(1)
      if (this.buffered === 0) throw truncated(what)
      const piece = this.take(Math.min(left, this.chunks[0]?.length ?? 0))
      left -= piece.length
      if (sink) await sink(piece)
    }
  }

  /** A line of at most `max` bytes, without its newline. */
  async line(max: number, what: string): Promise<string> {
    const bytes: number[] = []
    for (;;) {
      const one = await this.exactly(1, what)
      if (one[0] === 0x0a) return Buffer.from(bytes).toString('utf8')
      bytes.push(one[0] ?? 0)
      if (bytes.length > max) throw unsafe(`${what} is longer than ${max} bytes`)
    }
  }
}

const unsafe = (why: string): AppError =>
  new AppError('unsafe_archive', `The changes sent back from the sandbox were refused: ${why}.`, {
    hint: 'Nothing of this turn was applied to the workspace. Run the turn again; if it happens again, the sandbox is sending something hostile or broken.',
  })

const truncated = (what: string): AppError => unsafe(`the stream ended in the middle of ${what}`)

const UTF8 = new TextDecoder('utf-8', { fatal: true })

function utf8(bytes: Buffer): string | undefined {
  try {
    return UTF8.decode(bytes)
  } catch {
    return undefined
  }
}

const roundUp = (n: number): number => Math.ceil(n / BLOCK) * BLOCK
const stripNuls = (b: Buffer): Buffer => {
  const end = b.indexOf(0)
  return end < 0 ? b : b.subarray(0, end)
}

interface Pending {
  path?: Buffer
  linkpath?: Buffer
  size?: number
  headerBytes: number
}

/** Counts against the limits; throws `unsafe_archive` as soon as one is passed. */
class Budget {
  entries = 0
  bytes = 0
  constructor(private readonly limits: TarLimits) {}

  entry(): void {
    if (++this.entries > this.limits.maxEntries) {
      throw unsafe(`it holds more than ${this.limits.maxEntries} entries`)
    }
  }

  content(size: number): void {
    this.bytes += size
    if (this.bytes > this.limits.maxBytes) {
      throw unsafe(
        `it holds more than ${this.limits.maxBytes} bytes (a tar bomb, or far more than a turn writes)`,
      )
    }
  }

  header(pending: Pending, size: number): void {
    pending.headerBytes += size
    if (pending.headerBytes > this.limits.maxHeaderBytes) {
      throw unsafe(`an entry's extended header is larger than ${this.limits.maxHeaderBytes} bytes`)
    }
  }
}

async function readMeta(src: ByteSource, raw: RawHeader, pending: Pending, budget: Budget): Promise<void> {
  budget.header(pending, raw.size)
  const data = await src.exactly(raw.size, 'an extended header')
  await src.forward(roundUp(raw.size) - raw.size, undefined, 'an extended header')
  if (raw.typeflag === 'L') pending.path = Buffer.from(stripNuls(data))
  else if (raw.typeflag === 'K') pending.linkpath = Buffer.from(stripNuls(data))
  else if (raw.typeflag === 'x') {
    const records = parsePax(data)
    if (typeof records === 'string') throw unsafe(records)
    const path = records.get('path')
    const linkpath = records.get('linkpath')
    const size = records.get('size')
    if (path) pending.path = path
    if (linkpath) pending.linkpath = linkpath
    if (size) {
      const n = Number(size.toString('latin1'))
      if (!Number.isSafeInteger(n) || n < 0) throw unsafe('a pax record has an unreadable size')
      pending.size = n
    }
  }
}

const META_FLAGS = new Set(['x', 'g', 'L', 'K'])

/** Reads the whole archive, calling `onEntry` for each entry in order; see the module's comment. */
export async function readTar(
  src: ByteSource,
  limits: TarLimits,
  onEntry: (entry: TarEntry, body: EntryBody) => Promise<void>,
): Promise<{ entries: number; bytes: number }> {
  const budget = new Budget(limits)
  let pending: Pending = { headerBytes: 0 }
  for (;;) {
    const block = await src.exactly(BLOCK, 'a header (no end-of-archive marker)')
    if (isZeroBlock(block)) return { entries: budget.entries, bytes: budget.bytes }
    const raw = parseHeader(block)
    if (typeof raw === 'string') throw unsafe(raw)
    budget.entry()
    if (META_FLAGS.has(raw.typeflag)) {
      await readMeta(src, raw, pending, budget)
      continue
    }
    const size = pending.size ?? raw.size
    budget.content(size)
    const entry: TarEntry = {
      path: utf8(pending.path ?? raw.name),
      type: entryType(raw.typeflag),
      typeflag: raw.typeflag,
      size,
      mode: raw.mode,
      linkTarget: utf8(pending.linkpath ?? raw.linkname),
    }
    pending = { headerBytes: 0 }
    let consumed = false
    await onEntry(entry, {
      consume: async (sink) => {
        if (consumed) throw new AppError('internal', 'A tar entry was read twice.')
        consumed = true
        await src.forward(size, sink, 'an entry')
      },
    })
    if (!consumed) await src.forward(size, undefined, 'an entry')
    await src.forward(roundUp(size) - size, undefined, 'an entry')
  }
}
