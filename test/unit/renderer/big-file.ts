import type { DiffHunk } from '../../../src/shared/review'

/**
 * A file of `lines` lines with every 100th changed (one hunk each, ±3 lines of context): its two texts
 * and git's hunks, as the engine reports them. 5,000 lines: the 50-hunk file.
 */
export function bigFile(lines = 5000): { original: string; modified: string; hunks: DiffHunk[] } {
  const old = Array.from({ length: lines }, (_, i) => `row ${i + 1}`)
  const now = old.map((l, i) => ((i + 1) % 100 === 0 ? `${l} (edited)` : l))
  const hunks = Array.from({ length: Math.floor(lines / 100) }, (_, n): DiffHunk => {
    const line = (n + 1) * 100
    return {
      key: n.toString(16).padStart(40, '0'),
      header: `@@ -${line - 3},7 +${line - 3},7 @@`,
      oldStart: line - 3,
      oldLines: 7,
      newStart: line - 3,
      newLines: 7,
      changes: [
        { kind: 'del', line },
        { kind: 'add', line },
      ],
    }
  })
  return { original: old.join('\n') + '\n', modified: now.join('\n') + '\n', hunks }
}
