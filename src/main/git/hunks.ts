import { createHash } from 'node:crypto'
import type { DiffHunk } from '../../shared/review'

/**
 * Hunks of one `diff --git` section, read strictly by the counts of their `@@` headers (so a content
 * line that looks like a header or a section start is never misread). One pass, no per-line strings:
 * this runs over every file of every diff.
 */

/** A line of a hunk's body: its sign (' ', '-', '+'), where its content is in the section, and whether
 * git marked it `\ No newline at end of file`. `[start, end)` is the content without the sign and `\n`. */
export interface SectionLine {
  sign: 'ctx' | 'del' | 'add'
  start: number
  end: number
  noEol: boolean
}

/** A hunk with where it sits in the section, and (when asked for) its body's lines. */
export interface SectionHunk extends DiffHunk {
  /** Offset of its `@@` line, of the first body line, and past its last line (marker included). */
  headerStart: number
  bodyStart: number
  end: number
  /** The part of the header after the second `@@` (function context), `\n` excluded. */
  context: string
  lines: SectionLine[]
}

export interface ParsedSection {
  /** Offset of the first `@@` (the section's length when it has no hunk): `[0, headerEnd)` is its header. */
  headerEnd: number
  hunks: SectionHunk[]
}

const NL = 0x0a
const SPACE = 0x20
const MINUS = 0x2d
const PLUS = 0x2b
const BACKSLASH = 0x5c
const AT = 0x40
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/
const SECTION_START = Buffer.from('diff --git ')
const BINARY_LINES = [Buffer.from('GIT binary patch'), Buffer.from('Binary files ')]

/**
 * The hunks of one file's patch section (git's `diff --git` section), each with its changed lines and
 * a key that survives the hunk moving in the file (see DiffHunk.key); null when the section is not a
 * text patch (binary) or cannot be parsed.
 */
export function parseFileHunks(section: Buffer): DiffHunk[] | null {
  const parsed = scanSection(section, false)
  if (!parsed) return null
  return parsed.hunks.map(({ key, header, oldStart, oldLines, newStart, newLines, changes }) => ({
    key,
    header,
    oldStart,
    oldLines,
    newStart,
    newLines,
    changes,
  }))
}

/** The section's header extent and hunks, their body lines included; null as parseFileHunks. */
export function parseSection(section: Buffer): ParsedSection | null {
  return scanSection(section, true)
}

function scanSection(section: Buffer, keepLines: boolean): ParsedSection | null {
  if (!section.subarray(0, SECTION_START.length).equals(SECTION_START)) return null
  const headerEnd = findFirstHunk(section)
  if (headerEnd < 0) return null
  const hunks: SectionHunk[] = []
  const seen = new Map<string, number>()
  let pos = headerEnd
  while (pos < section.length) {
    const hunk = scanHunk(section, pos, keepLines)
    if (!hunk) return null
    const n = (seen.get(hunk.key) ?? 0) + 1
    seen.set(hunk.key, n)
    if (n > 1) hunk.key = `${hunk.key}#${n}`
    hunks.push(hunk)
    pos = hunk.end
  }
  return { headerEnd, hunks }
}

/** Offset of the first hunk header; the length when none; -1 for a binary section. */
function findFirstHunk(section: Buffer): number {
  let pos = 0
  while (pos < section.length) {
    if (section[pos] === AT) return pos
    if (BINARY_LINES.some((m) => section.subarray(pos, pos + m.length).equals(m))) return -1
    const nl = section.indexOf(NL, pos)
    if (nl < 0) return section.length
    pos = nl + 1
  }
  return section.length
}

function lineEnd(section: Buffer, pos: number): number {
  const nl = section.indexOf(NL, pos)
  return nl < 0 ? section.length : nl
}

function scanHunk(section: Buffer, headerStart: number, keepLines: boolean): SectionHunk | null {
  const headerEndAt = lineEnd(section, headerStart)
  const headerText = section.toString('utf8', headerStart, headerEndAt)
  const m = HUNK_HEADER.exec(headerText)
  if (!m) return null
  const oldStart = Number(m[1])
  const oldLines = m[2] === undefined ? 1 : Number(m[2])
  const newStart = Number(m[3])
  const newLines = m[4] === undefined ? 1 : Number(m[4])
  const bodyStart = Math.min(headerEndAt + 1, section.length)
  const hunk: SectionHunk = {
    key: '',
    header: headerText,
    oldStart,
    oldLines,
    newStart,
    newLines,
    changes: [],
    headerStart,
    bodyStart,
    end: bodyStart,
    context: headerText.slice(m[0].length),
    lines: [],
  }
  const end = scanBody(section, hunk, keepLines)
  if (end < 0) return null
  hunk.end = end
  hunk.key = createHash('sha1').update(section.subarray(bodyStart, end)).digest('hex')
  return hunk
}

/** Reads the body lines the header counts (and the markers among them); the offset past it, or -1. */
function scanBody(section: Buffer, hunk: SectionHunk, keepLines: boolean): number {
  let oldLeft = hunk.oldLines
  let newLeft = hunk.newLines
  let oldNo = hunk.oldStart
  let newNo = hunk.newStart
  let last: SectionLine | null = null
  let lastSeen = false
  let pos = hunk.bodyStart
  for (;;) {
    if (pos < section.length && section[pos] === BACKSLASH) {
      if (!lastSeen) return -1
      if (last) last.noEol = true
      lastSeen = false
      pos = lineEnd(section, pos) + 1
      continue
    }
    if (oldLeft === 0 && newLeft === 0) break
    if (pos >= section.length) return -1
    const c = section[pos]
    const end = lineEnd(section, pos)
    let sign: SectionLine['sign']
    if (c === SPACE || c === NL) {
      if (oldLeft-- === 0 || newLeft-- === 0) return -1
      oldNo++
      newNo++
      sign = 'ctx'
    } else if (c === MINUS) {
      if (oldLeft-- === 0) return -1
      hunk.changes.push({ kind: 'del', line: oldNo++ })
      sign = 'del'
    } else if (c === PLUS) {
      if (newLeft-- === 0) return -1
      hunk.changes.push({ kind: 'add', line: newNo++ })
      sign = 'add'
    } else return -1
    lastSeen = true
    last = keepLines ? { sign, start: c === NL ? pos : pos + 1, end, noEol: false } : null
    if (last) hunk.lines.push(last)
    pos = end + 1
  }
  pos = Math.min(pos, section.length)
  return pos === section.length || section[pos] === AT ? pos : -1
}
