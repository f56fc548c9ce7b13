import type { ComponentType } from 'react'
import type { DiffHunk, ReviewComment } from '../../../../shared/review'

/** Per hunk key: the indices of its changes left out of what gets published, or 'all'. */
export type HunkExcluded = ReadonlyMap<string, ReadonlySet<number> | 'all'>

/** What the review's diff editor needs; Monaco in the app, a stand-in in component tests. */
export interface DiffEditorProps {
  original: string
  modified: string
  /** Monaco language id, from the file name. */
  language: string
  /** Unique per task and file: keys the editor's models. */
  modelKey: string
  sideBySide: boolean
  dark: boolean
  /** The right-hand side can be edited (a text file that still exists, task in review, edit mode on). */
  editable?: boolean
  /** Every edit of the right-hand side, with its whole new text. */
  onChange?: (modified: string) => void
  /** Ctrl/Cmd+S in the editor. */
  onSave?: () => void
  /**
   * 'diff': both sides; 'added' / 'deleted': a file that exists on one side only, shown alone (no empty
   * side, no phantom line). Default 'diff'.
   */
  layout?: 'diff' | 'added' | 'deleted'
  /** git's hunks of the file, when it can be selected finer than whole: checkboxes in the gutter. */
  hunks?: DiffHunk[]
  /** What of those hunks is left out. */
  excluded?: HunkExcluded
  /** Click on a hunk's box, or Space with the cursor in it (not while editing). */
  onToggleHunk?: (key: string) => void
  /** Click on a changed line's box, or `x` with the cursor on it (not while editing). */
  onToggleLine?: (key: string, index: number) => void
  /** The file's comments, shown as glyphs on their lines. */
  comments?: ReviewComment[]
  /** Lines chosen for a new comment: the gutter's comment glyph, or a selection and `c` (not while editing). */
  onCommentLines?: (side: 'old' | 'new', startLine: number, endLine: number) => void
  /** A comment's glyph was clicked. */
  onOpenComment?: (commentId: string) => void
  /** The cursor moved into a hunk (the hunk bar follows it). */
  onFocusHunk?: (key: string) => void
  /** Move the cursor to this hunk and show it; `at` changes with each request (the hunk bar's arrows). */
  revealHunk?: { key: string; at: number }
  /** `e` in the editor while reading: the pane turns edit mode on. */
  onEditRequest?: () => void
}

export type DiffEditorComponent = ComponentType<DiffEditorProps>
