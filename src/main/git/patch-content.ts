/**
 * File contents recovered from a patch section, so the diff needs no second read of the object store:
 * a created file is its `+` lines, a deleted one its `-` lines, and the old side of a modified file is
 * its new content with the hunks applied in reverse. Callers verify every result against its blob id.
 * Lines are handled as byte ranges (no per-line Buffer objects): this runs over thousands of files.
 */
interface Hunk {
  /** 0-based index in the new file where the hunk's new lines start (or would be inserted). */
  newIndex: number
  newCount: number
  /** [start, end) byte ranges in the section, without the +/-/space prefix. */
  oldLines: number[]
  newLines: number[]
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/
const NL = 0x0a

export function parseHunks(section: Buffer): Hunk[] | null {
  const hunks: Hunk[] = []
  let current: Hunk | null = null
  let last: 'both' | 'old' | 'new' | null = null
  let pos = 0
  while (pos < section.length) {
    const nl = section.indexOf(NL, pos)
    const end = nl < 0 ? section.length : nl + 1
    const c = section[pos]
    if (c === 0x40 /* @ */) {
      const m = HUNK_HEADER.exec(section.toString('latin1', pos, Math.min(end, pos + 100)))
      if (!m) return null
      const newStart = Number(m[3])
      const newCount = m[4] === undefined ? 1 : Number(m[4])
      current = { newIndex: newCount === 0 ? newStart : newStart - 1, newCount, oldLines: [], newLines: [] }
      hunks.push(current)
      last = null
    } else if (current) {
      if (c === 0x20 /* space */) {
        current.oldLines.push(pos + 1, end)
        current.newLines.push(pos + 1, end)
        last = 'both'
      } else if (c === 0x2d /* - */) {
        current.oldLines.push(pos + 1, end)
        last = 'old'
      } else if (c === 0x2b /* + */) {
        current.newLines.push(pos + 1, end)
        last = 'new'
      } else if (c === 0x5c /* \ No newline at end of file */) {
        if (last === 'both' || last === 'old') trimLast(section, current.oldLines)
        if (last === 'both' || last === 'new') trimLast(section, current.newLines)
      } else {
        return null
      }
    }
    pos = end
  }
  return hunks
}

/** Drops the newline that ends the last range. */
function trimLast(buf: Buffer, ranges: number[]): void {
  const i = ranges.length - 1
  const end = ranges[i]
  if (end !== undefined && end > 0 && buf[end - 1] === NL) ranges[i] = end - 1
}

/** Copies [start, end) ranges of `buf` (pairs, flattened) into one new Buffer. */
function gather(parts: { buf: Buffer; ranges: number[] }[]): Buffer {
  let size = 0
  for (const { ranges } of parts)
    for (let i = 0; i < ranges.length; i += 2) size += (ranges[i + 1] ?? 0) - (ranges[i] ?? 0)
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const { buf, ranges } of parts) {
    for (let i = 0; i < ranges.length; i += 2) at += buf.copy(out, at, ranges[i], ranges[i + 1])
  }
  return out
}

/** Content of a created file (`+` lines) or a deleted one (`-` lines); empty without hunks. */
export function sideFromSection(section: Buffer, side: 'old' | 'new'): Buffer | null {
  const hunks = parseHunks(section)
  if (!hunks) return null
  return gather(hunks.map((h) => ({ buf: section, ranges: side === 'old' ? h.oldLines : h.newLines })))
}

/** Start offset of every line of `buf`, plus `buf.length` at the end. */
export function lineStarts(buf: Buffer): number[] {
  const starts = [0]
  let pos = buf.indexOf(NL)
  while (pos >= 0 && pos + 1 < buf.length) {
    starts.push(pos + 1)
    pos = buf.indexOf(NL, pos + 1)
  }
  if (buf.length === 0) starts.pop()
  starts.push(buf.length)
  return starts
}

/** The old content of a modified file: `newContent` with the section's hunks applied in reverse. */
export function reverseApply(newContent: Buffer, section: Buffer): Buffer | null {
  const hunks = parseHunks(section)
  if (!hunks) return null
  if (hunks.length === 0) return newContent
  const starts = lineStarts(newContent)
  const lineCount = starts.length - 1
  const parts: { buf: Buffer; ranges: number[] }[] = []
  let cursor = 0
  for (const h of hunks) {
    if (h.newIndex < cursor || h.newIndex + h.newCount > lineCount) return null
    parts.push({ buf: newContent, ranges: [starts[cursor] ?? 0, starts[h.newIndex] ?? 0] })
    parts.push({ buf: section, ranges: h.oldLines })
    cursor = h.newIndex + h.newCount
  }
  parts.push({ buf: newContent, ranges: [starts[cursor] ?? 0, newContent.length] })
  return gather(parts)
}
