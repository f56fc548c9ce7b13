import { file } from './task-fake-api'
import { useState } from 'react'
import type { FileDiff } from '../../../src/shared/diff'
import type { DiffHunk, ReviewComment } from '../../../src/shared/review'
import type { DiffEditorProps, HunkExcluded } from '../../../src/renderer/src/features/review/diff-editor'
import { DiffPane } from '../../../src/renderer/src/features/review/diff-pane'
import type { FileReview } from '../../../src/renderer/src/features/review/file-review'
import { gutterMarks, type Side } from '../../../src/renderer/src/features/review/monaco-gutter'

/**
 * The review pane's test bench: a stand-in editor that draws the gutter's boxes from its props (as
 * buttons), a file with three hunks, and a FileReview that records its calls and keeps its state.
 */

export const hunkKey = (n: number): string => String(n).repeat(40).slice(0, 40)

export const HUNKS: DiffHunk[] = [
  {
    key: hunkKey(1),
    header: '@@ -1,2 +1,2 @@ start',
    oldStart: 1,
    oldLines: 2,
    newStart: 1,
    newLines: 2,
    changes: [
      { kind: 'del', line: 2 },
      { kind: 'add', line: 2 },
    ],
  },
  {
    key: hunkKey(2),
    header: '@@ -10,2 +10,3 @@',
    oldStart: 10,
    oldLines: 2,
    newStart: 10,
    newLines: 3,
    changes: [
      { kind: 'add', line: 11 },
      { kind: 'add', line: 12 },
    ],
  },
  {
    key: hunkKey(3),
    header: '@@ -20,2 +21,1 @@',
    oldStart: 20,
    oldLines: 2,
    newStart: 21,
    newLines: 1,
    changes: [{ kind: 'del', line: 21 }],
  },
]

const lines = (prefix: string): string =>
  Array.from({ length: 24 }, (_, i) => `${prefix} line ${i + 1}`).join('\n') + '\n'

export const modifiedFile = (patch: Partial<FileDiff> = {}): FileDiff => ({
  ...file({ newPath: 'src/a.ts', oldContent: lines('old'), newContent: lines('new'), hunks: HUNKS }),
  ...patch,
})

/** The props the pane last gave its editor. */
export const seen: { editor?: DiffEditorProps } = {}

function Boxes({ props, side }: { props: DiffEditorProps; side: Side }): React.JSX.Element {
  const marks = gutterMarks({ hunks: props.hunks, excluded: props.excluded, comments: props.comments, side })
  return (
    <div>
      {marks.map((m) => (
        <span key={m.line}>
          {m.hunk && (
            <button type="button" data-state={m.hunk.state} onClick={() => props.onToggleHunk?.(m.hunk!.key)}>
              {`hunk box ${side} ${m.line}`}
            </button>
          )}
          {m.change && (
            <button
              type="button"
              aria-pressed={!m.change.excluded}
              onClick={() => props.onToggleLine?.(m.change!.key, m.change!.index)}
            >
              {`line box ${side} ${m.line}`}
            </button>
          )}
          {m.comments && (
            <button type="button" onClick={() => props.onOpenComment?.(m.comments![0]!)}>
              {`comment glyph ${side} ${m.line}`}
            </button>
          )}
        </span>
      ))}
    </div>
  )
}

/** The stand-in for Monaco: the gutter's boxes as buttons, from the same marks Monaco draws. */
export function StandInEditor(props: DiffEditorProps): React.JSX.Element {
  seen.editor = props
  return (
    <div data-testid="diff-editor" data-layout={props.layout ?? 'diff'}>
      {props.layout !== 'added' && <Boxes props={props} side="old" />}
      {props.layout !== 'deleted' && <Boxes props={props} side="new" />}
    </div>
  )
}

export type Call = [name: string, ...args: unknown[]]

/** A FileReview kept in React state, recording every call in `calls`. */
export function useRecordingReview(
  calls: Call[],
  init: { comments?: ReviewComment[]; canChange?: boolean; excluded?: HunkExcluded },
): FileReview {
  const [excluded, setExcluded] = useState<HunkExcluded>(init.excluded ?? new Map())
  const [reasons, setReasons] = useState<ReadonlyMap<string, string>>(new Map())
  const [comments, setComments] = useState(init.comments ?? [])
  const toggleLine = (key: string, index: number): void => {
    calls.push(['toggleLine', key, index])
    const next = new Map(excluded)
    const now = excluded.get(key)
    const set = new Set(now === 'all' ? [] : now)
    if (!set.delete(index)) set.add(index)
    next.set(key, set)
    setExcluded(next)
  }
  return {
    excluded,
    reasons,
    canChange: init.canChange ?? true,
    comments,
    toggleHunk: (key) => {
      calls.push(['toggleHunk', key])
      const next = new Map(excluded)
      if (!next.delete(key)) next.set(key, 'all')
      setExcluded(next)
    },
    toggleLine,
    setReason: (key, reason) => {
      calls.push(['setReason', key, reason])
      setReasons(new Map(reasons).set(key, reason))
    },
    discard: async (target, reason) => void calls.push(['discard', target, reason]),
    addComment: async (...args) => void calls.push(['addComment', ...args]),
    editComment: async (...args) => void calls.push(['editComment', ...args]),
    deleteComment: async (id) => {
      calls.push(['deleteComment', id])
      setComments(comments.filter((c) => c.id !== id))
    },
    setCommentState: async (...args) => void calls.push(['setCommentState', ...args]),
  }
}

/** The pane for one file, with a recording review. */
export function Bench(props: {
  file: FileDiff
  calls: Call[]
  comments?: ReviewComment[]
  canChange?: boolean
  editable?: boolean
  excluded?: HunkExcluded
}): React.JSX.Element {
  const review = useRecordingReview(props.calls, props)
  return (
    <DiffPane
      taskId="t1"
      file={props.file}
      sideBySide
      onSideBySide={() => {}}
      Editor={StandInEditor}
      editable={props.editable ?? true}
      review={review}
    />
  )
}

export const comment = (patch: Partial<ReviewComment> & { id: string }): ReviewComment => ({
  path: 'src/a.ts',
  side: 'new',
  startLine: 1,
  endLine: 1,
  code: 'new line 1',
  text: 'A comment',
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  state: 'open',
  ...patch,
})
