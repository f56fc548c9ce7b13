import type { ReviewComment } from '../../../../shared/review'
import type { HunkExcluded } from './diff-editor'

/**
 * The review's actions on one file, made by the review page (saved on the task through the contract)
 * and used by the file's pane (the editor's gutter, the hunk bar, the comments).
 */
export interface FileReview {
  /** What of this file's hunks is left out of what gets published. */
  excluded: HunkExcluded
  /** Hunk key → why it is left out. */
  reasons: ReadonlyMap<string, string>
  toggleHunk(key: string): void
  toggleLine(key: string, index: number): void
  setReason(key: string, reason: string): void
  /** Reverts in the workspace: the whole file, a hunk, or lines of one. */
  discard(target: { hunk?: string; lines?: number[] }, reason?: string): Promise<void>
  /** This file's comments. */
  comments: ReviewComment[]
  addComment(side: 'old' | 'new', startLine: number, endLine: number, text: string): Promise<void>
  editComment(commentId: string, text: string): Promise<void>
  deleteComment(commentId: string): Promise<void>
  setCommentState(commentId: string, state: 'open' | 'addressed'): Promise<void>
  /** False while a turn runs or outside review (and on one turn's own diff): selection only, no changes. */
  canChange: boolean
}
