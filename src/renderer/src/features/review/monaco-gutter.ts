import type { DiffHunk, ReviewComment } from '../../../../shared/review'
import type { HunkExcluded } from './diff-editor'

/**
 * The review's gutter as plain data, without Monaco: which hunk or changed line sits at an editor's line,
 * which boxes and glyphs each line shows. The Monaco side (monaco-review.ts) turns these into decorations
 * and keys; component and unit tests use them directly.
 */

/** 'old': the original editor (deletions); 'new': the modified one (additions). */
export type Side = 'old' | 'new'

export type HunkState = 'included' | 'partial' | 'excluded'

export function hunkState(hunk: DiffHunk, excluded: HunkExcluded | undefined): HunkState {
  const out = excluded?.get(hunk.key)
  if (!out) return 'included'
  if (out === 'all' || out.size >= hunk.changes.length) return 'excluded'
  return out.size === 0 ? 'included' : 'partial'
}

export function lineExcluded(hunk: DiffHunk, index: number, excluded: HunkExcluded | undefined): boolean {
  const out = excluded?.get(hunk.key)
  return out === 'all' || Boolean(out?.has(index))
}

const kindOf = (side: Side): 'add' | 'del' => (side === 'new' ? 'add' : 'del')

/**
 * Where a hunk's box goes: its first addition on the modified side, else its first deletion on the
 * original side. `inline`: the original editor is hidden, so a deletions-only hunk goes on the modified
 * side next to where its lines were.
 */
export function hunkAnchor(hunk: DiffHunk, inline = false): { side: Side; line: number } {
  const add = hunk.changes.find((c) => c.kind === 'add')
  if (add) return { side: 'new', line: add.line }
  if (inline) return { side: 'new', line: Math.max(1, hunk.newStart) }
  return { side: 'old', line: hunk.changes[0]?.line ?? Math.max(1, hunk.oldStart) }
}

/** The lines a hunk spans on one side; an empty span (nothing on that side) sits at its start line. */
function span(hunk: DiffHunk, side: Side): { from: number; to: number } {
  const start = side === 'new' ? hunk.newStart : hunk.oldStart
  const count = side === 'new' ? hunk.newLines : hunk.oldLines
  const from = Math.max(1, start)
  return { from, to: count > 0 ? start + count - 1 : from }
}

/** The hunk whose lines on `side` hold `line`, if one does. */
export function hunkContaining(hunks: readonly DiffHunk[], side: Side, line: number): DiffHunk | undefined {
  return hunks.find((h) => {
    const s = span(h, side)
    return line >= s.from && line <= s.to
  })
}

/** The hunk the cursor is in, or the nearest one starting after it (Space). */
export function hunkAtCursor(hunks: readonly DiffHunk[], side: Side, line: number): DiffHunk | undefined {
  return hunkContaining(hunks, side, line) ?? hunks.find((h) => span(h, side).from > line)
}

/** The changed line at `line` on `side` (x): its hunk and index in the hunk's `changes`. */
export function changeAt(
  hunks: readonly DiffHunk[],
  side: Side,
  line: number,
): { hunk: DiffHunk; index: number } | undefined {
  const kind = kindOf(side)
  for (const hunk of hunks) {
    const index = hunk.changes.findIndex((c) => c.kind === kind && c.line === line)
    if (index !== -1) return { hunk, index }
  }
  return undefined
}

/** The hunk after (1) or before (-1) the cursor's line on `side` (n / p); none past the ends. */
export function hunkBeside(
  hunks: readonly DiffHunk[],
  side: Side,
  line: number,
  delta: 1 | -1,
): DiffHunk | undefined {
  if (delta === 1) return hunks.find((h) => span(h, side).from > line)
  const inside = hunkContaining(hunks, side, line)
  const before = hunks.filter((h) => span(h, side).from < line && h !== inside)
  return before.at(-1)
}

/** Where the cursor goes to show a hunk: its box's line, on the side the editor shows. */
export function hunkLine(hunk: DiffHunk, side: Side): number {
  const first = hunk.changes.find((c) => c.kind === kindOf(side))
  return first?.line ?? span(hunk, side).from
}

/** One line's marks in the gutter and text of one editor. */
export interface LineMark {
  line: number
  /** The hunk's box (in the glyph margin's left lane). */
  hunk?: { key: string; state: HunkState; header: string }
  /** The changed line's own box (line decorations), and whether it is left out (dimmed, struck through). */
  change?: { key: string; index: number; excluded: boolean }
  /** Comments starting on this line (the glyph margin's right lane). */
  comments?: string[]
}

/** Every marked line of one side, in line order. */
export function gutterMarks(input: {
  hunks: readonly DiffHunk[] | undefined
  excluded: HunkExcluded | undefined
  comments: readonly ReviewComment[] | undefined
  side: Side
  inline?: boolean
}): LineMark[] {
  const { hunks = [], excluded, comments = [], side, inline = false } = input
  const marks = new Map<number, LineMark>()
  const at = (line: number): LineMark => {
    let mark = marks.get(line)
    if (!mark) marks.set(line, (mark = { line }))
    return mark
  }
  const kind = kindOf(side)
  for (const hunk of hunks) {
    const anchor = hunkAnchor(hunk, inline)
    if (anchor.side === side)
      at(anchor.line).hunk = { key: hunk.key, state: hunkState(hunk, excluded), header: hunk.header }
    hunk.changes.forEach((c, index) => {
      if (c.kind === kind)
        at(c.line).change = { key: hunk.key, index, excluded: lineExcluded(hunk, index, excluded) }
    })
  }
  for (const c of comments) {
    if (c.side !== side) continue
    const mark = at(c.startLine)
    mark.comments = [...(mark.comments ?? []), c.id]
  }
  return [...marks.values()].sort((a, b) => a.line - b.line)
}

/** "Line 12" / "Lines 12–14", and "(original)" for the old side. */
export function linesLabel(side: Side, startLine: number, endLine: number): string {
  const lines = startLine === endLine ? `Line ${startLine}` : `Lines ${startLine}–${endLine}`
  return side === 'old' ? `${lines} (original)` : lines
}

/** The text of lines `startLine`–`endLine` (1-based, inclusive) of `text`. */
export function linesOf(text: string, startLine: number, endLine: number): string {
  return text
    .split('\n')
    .slice(startLine - 1, endLine)
    .join('\n')
}
