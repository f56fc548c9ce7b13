import { useMemo } from 'react'
import type { FileDiff } from '../../../../shared/diff'
import type { ReviewComment } from '../../../../shared/review'
import type { FileReview } from './file-review'
import { fileKey } from './file-tree-model'
import { excludedOf, reasonsOf, setReason, toggleHunk, toggleLine } from './selection-model'
import type { CommentAction } from './use-comments'
import type { DiscardTarget } from './use-discards'
import type { SelectionState } from './use-selection'

const NO_COMMENTS: ReviewComment[] = []

/**
 * The review's actions on the selected file, for its pane: its left-out hunks and lines (saved through
 * the selection), its comments, discarding. Undefined without a file.
 */
export function useFileReview(props: {
  file: FileDiff | undefined
  selection: SelectionState
  comments: readonly ReviewComment[] | undefined
  comment: (action: CommentAction) => Promise<void>
  discard: (target: DiscardTarget) => Promise<void>
  canChange: boolean
}): FileReview | undefined {
  const { file, selection, comments, comment, discard, canChange } = props
  const { index, change } = selection
  return useMemo(() => {
    if (!file) return undefined
    const path = fileKey(file)
    const lineCount = (key: string): number => file.hunks?.find((h) => h.key === key)?.changes.length ?? 0
    const own = comments?.filter((c) => c.path === path) ?? NO_COMMENTS
    return {
      excluded: excludedOf(index, path),
      reasons: reasonsOf(index, path),
      toggleHunk: (key) => change((s) => toggleHunk(s, path, key)),
      toggleLine: (key, i) => {
        const count = lineCount(key)
        if (count > 0) change((s) => toggleLine(s, path, key, i, count))
      },
      setReason: (key, reason) => change((s) => setReason(s, path, key, reason)),
      discard: (target, reason) => discard({ path, ...target, ...(reason?.trim() ? { reason } : {}) }),
      comments: own,
      addComment: (side, startLine, endLine, text) =>
        comment({ action: 'add', path, side, startLine, endLine, text }),
      editComment: (commentId, text) => comment({ action: 'edit', commentId, text }),
      deleteComment: (commentId) => comment({ action: 'delete', commentId }),
      setCommentState: (commentId, state) => comment({ action: 'state', commentId, state }),
      canChange,
    } satisfies FileReview
  }, [file, index, change, comments, comment, discard, canChange])
}
