import { expect, test } from 'vitest'
import type { DiffHunk } from '../../../src/shared/review'
import {
  changeAt,
  gutterMarks,
  hunkAnchor,
  hunkAtCursor,
  hunkBeside,
  hunkLine,
  hunkState,
  linesLabel,
  linesOf,
} from '../../../src/renderer/src/features/review/monaco-gutter'

const key = (n: number): string => String(n).repeat(40).slice(0, 40)
/** Three hunks: 3 → 3-4 (a line changed, one added), 20 → 21 deleted only, 40 → 40 added only. */
const hunks: DiffHunk[] = [
  {
    key: key(1),
    header: '@@ -2,3 +2,4 @@',
    oldStart: 2,
    oldLines: 3,
    newStart: 2,
    newLines: 4,
    changes: [
      { kind: 'del', line: 3 },
      { kind: 'add', line: 3 },
      { kind: 'add', line: 4 },
    ],
  },
  {
    key: key(2),
    header: '@@ -19,3 +20,2 @@',
    oldStart: 19,
    oldLines: 3,
    newStart: 20,
    newLines: 2,
    changes: [{ kind: 'del', line: 20 }],
  },
  {
    key: key(3),
    header: '@@ -39,2 +39,3 @@',
    oldStart: 39,
    oldLines: 2,
    newStart: 39,
    newLines: 3,
    changes: [{ kind: 'add', line: 40 }],
  },
]
const [first, second, third] = hunks as [DiffHunk, DiffHunk, DiffHunk]

test('a hunk is included, partly included or left out, by what is excluded of its changes', () => {
  expect(hunkState(first, new Map())).toBe('included')
  expect(hunkState(first, new Map([[first.key, 'all']]))).toBe('excluded')
  expect(hunkState(first, new Map([[first.key, new Set([1])]]))).toBe('partial')
  expect(hunkState(first, new Map([[first.key, new Set([0, 1, 2])]]))).toBe('excluded')
  expect(hunkState(first, new Map([[first.key, new Set()]]))).toBe('included')
})

test("a hunk's box sits on its first addition, else on its first deletion (the modified side when inline)", () => {
  expect(hunkAnchor(first)).toEqual({ side: 'new', line: 3 })
  expect(hunkAnchor(second)).toEqual({ side: 'old', line: 20 })
  expect(hunkAnchor(second, true)).toEqual({ side: 'new', line: 20 })
})

test('Space finds the hunk the cursor is in, or the next one after it, on that side', () => {
  expect(hunkAtCursor(hunks, 'new', 5)?.key).toBe(first.key)
  expect(hunkAtCursor(hunks, 'new', 1)?.key).toBe(first.key)
  expect(hunkAtCursor(hunks, 'new', 6)?.key).toBe(second.key)
  expect(hunkAtCursor(hunks, 'old', 21)?.key).toBe(second.key)
  expect(hunkAtCursor(hunks, 'old', 22)?.key).toBe(third.key)
  expect(hunkAtCursor(hunks, 'new', 42)).toBeUndefined()
})

test('x finds the changed line under the cursor on its own side only', () => {
  expect(changeAt(hunks, 'old', 3)).toMatchObject({ hunk: { key: first.key }, index: 0 })
  expect(changeAt(hunks, 'new', 3)).toMatchObject({ hunk: { key: first.key }, index: 1 })
  expect(changeAt(hunks, 'new', 4)).toMatchObject({ index: 2 })
  expect(changeAt(hunks, 'new', 20)).toBeUndefined()
  expect(changeAt(hunks, 'old', 20)).toMatchObject({ hunk: { key: second.key }, index: 0 })
  expect(changeAt(hunks, 'new', 2)).toBeUndefined()
})

test('n and p move to the hunk after or before the cursor, and stop at the ends', () => {
  expect(hunkBeside(hunks, 'new', 3, 1)?.key).toBe(second.key)
  expect(hunkBeside(hunks, 'new', 20, 1)?.key).toBe(third.key)
  expect(hunkBeside(hunks, 'new', 40, 1)).toBeUndefined()
  expect(hunkBeside(hunks, 'new', 40, -1)?.key).toBe(second.key)
  expect(hunkBeside(hunks, 'new', 30, -1)?.key).toBe(second.key)
  expect(hunkBeside(hunks, 'new', 3, -1)).toBeUndefined()
  expect(hunkLine(third, 'new')).toBe(40)
  expect(hunkLine(second, 'new')).toBe(20)
})

test("each side's gutter marks its own changed lines, the hunks' boxes, excluded lines and comments", () => {
  const excluded = new Map([[first.key, new Set([2])]])
  const comment = {
    id: 'c1',
    path: 'a.ts',
    side: 'old' as const,
    startLine: 20,
    endLine: 21,
    code: 'x',
    text: 'Keep this',
    createdAt: '',
    updatedAt: '',
    state: 'open' as const,
  }
  const newSide = gutterMarks({ hunks, excluded, comments: [comment], side: 'new' })
  expect(newSide).toEqual([
    {
      line: 3,
      hunk: { key: first.key, state: 'partial', header: first.header },
      change: { key: first.key, index: 1, excluded: false },
    },
    { line: 4, change: { key: first.key, index: 2, excluded: true } },
    {
      line: 40,
      hunk: { key: third.key, state: 'included', header: third.header },
      change: { key: third.key, index: 0, excluded: false },
    },
  ])
  const oldSide = gutterMarks({ hunks, excluded, comments: [comment], side: 'old' })
  expect(oldSide).toEqual([
    { line: 3, change: { key: first.key, index: 0, excluded: false } },
    {
      line: 20,
      hunk: { key: second.key, state: 'included', header: second.header },
      change: { key: second.key, index: 0, excluded: false },
      comments: ['c1'],
    },
  ])
  const inline = gutterMarks({ hunks, excluded: undefined, comments: [], side: 'new', inline: true })
  expect(inline.find((m) => m.line === 20)?.hunk?.key).toBe(second.key)
})

test('comment lines read "Line 12", "Lines 12–14", and say when they are the original', () => {
  expect(linesLabel('new', 12, 12)).toBe('Line 12')
  expect(linesLabel('new', 12, 14)).toBe('Lines 12–14')
  expect(linesLabel('old', 3, 3)).toBe('Line 3 (original)')
  expect(linesOf('a\nb\nc\nd\n', 2, 3)).toBe('b\nc')
})
