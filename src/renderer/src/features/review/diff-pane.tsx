import { Suspense, useEffect, useRef, useState } from 'react'
import type { FileDiff } from '../../../../shared/diff'
import { ErrorView } from '../../lib/error-view'
import { isMod, modLabel } from '../../lib/keyboard'
import { useActionError } from './action-error'
import { commentElementId, Comments, type CommentDraft } from './comments'
import type { DiffEditorComponent, DiffEditorProps } from './diff-editor'
import { layoutOf, notShown, STATUS_WORDS } from './diff-notices'
import type { FileReview } from './file-review'
import { languageOf, STATUS_LETTERS, fileKey } from './file-tree-model'
import { ConfirmButton, HunkBar } from './hunk-bar'
import { linesOf } from './monaco-gutter'
import { useDark } from './use-dark'
import { useFileEdits } from './use-file-edits'
import './review-pane.css'

const noop = (): void => {}

/**
 * Focus back in the editor after a comment's composer closed: where it was when the composer opened (the
 * editor's input), else the editor's first input.
 */
function focusEditor(body: HTMLElement | null, before: Element | null): void {
  if (!body) return
  const target =
    before instanceof HTMLElement && before.isConnected && body.contains(before)
      ? before
      : body.querySelector<HTMLElement>('textarea, [contenteditable], button')
  target?.focus()
}

/** State that belongs to one file: dropped when another file is shown. */
interface Scoped<T> {
  file: string
  value: T
}
const scoped = <T,>(s: Scoped<T> | undefined, file: string): T | undefined =>
  s && s.file === file ? s.value : undefined

/**
 * The review's gutter props for the editor: the selection, comments and their callbacks. Not `selectable`
 * (one turn's own diff): none; its comments are read below the editor (their lines are the workspace's).
 */
function reviewProps(
  file: FileDiff,
  review: FileReview | undefined,
  selectable: boolean,
  on: { commentLines: DiffEditorProps['onCommentLines']; openComment: (id: string) => void },
): Partial<DiffEditorProps> {
  if (!review || !selectable) return {}
  return {
    hunks: file.hunks,
    excluded: review.excluded,
    onToggleHunk: (key) => review.toggleHunk(key),
    onToggleLine: (key, index) => review.toggleLine(key, index),
    comments: review.comments,
    onCommentLines: review.canChange ? on.commentLines : undefined,
    onOpenComment: on.openComment,
  }
}

/**
 * The selected file's change: a header, the focused hunk's bar, then Monaco (or why it isn't shown), then
 * the file's comments. When `editable`, the right-hand side of a text file can be edited after "Edit" (or
 * `e` in the editor) and saved into the workspace (Save, Ctrl/Cmd+S); leaving a file with unsaved edits
 * saves them. With `review`, hunks and lines can be left out, discarded and commented on; a refused
 * discard is shown where it was asked for. Not `selectable` (one turn's own diff): the comments only, to read.
 */
export function DiffPane(props: {
  taskId: string
  file: FileDiff | undefined
  sideBySide: boolean
  onSideBySide: (value: boolean) => void
  Editor: DiffEditorComponent
  editable?: boolean
  /** A file was saved: reload the diff. */
  onSaved?: () => void
  /** The review's actions on this file (selection, discards, comments). */
  review?: FileReview
  /** Hunks and lines can be left out and discarded (default); false on one turn's own diff. */
  selectable?: boolean
}): React.JSX.Element {
  const { taskId, file, sideBySide, onSideBySide, Editor, editable = false, onSaved, review } = props
  const selectable = props.selectable ?? true
  const dark = useDark()
  const edits = useFileEdits(taskId, onSaved ?? noop)
  const [editing, setEditing] = useState(false)
  const [focus, setFocus] = useState<Scoped<string>>()
  const [reveal, setReveal] = useState<DiffEditorProps['revealHunk']>()
  const [draft, setDraft] = useState<Scoped<CommentDraft>>()
  const [highlighted, setHighlighted] = useState<string>()
  const discardingFile = useActionError()
  const body = useRef<HTMLDivElement>(null)
  const focusBefore = useRef<Element | null>(null)
  const key = file ? fileKey(file) : undefined
  const previous = useRef(key)
  const { save } = edits
  const { clear: clearDiscardError } = discardingFile
  useEffect(() => {
    const left = previous.current
    previous.current = key
    if (left !== undefined && left !== key) void save(left)
    clearDiscardError()
  }, [key, save, clearDiscardError])

  if (!file || key === undefined)
    return <div className="diff-pane diff-empty muted">Select a file to see its change.</div>
  const hidden = notShown(file)
  const base = file.newContent ?? ''
  const modified = edits.contentOf(key, base) ?? base
  const canEdit = editable && !hidden && file.status !== 'deleted'
  const dirty = edits.isDirty(key, base)
  const hunks = hidden || !selectable ? undefined : file.hunks
  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (canEdit && e.key.toLowerCase() === 's' && isMod(e)) {
      e.preventDefault()
      void save(key)
    }
  }
  const commentLines = (side: 'old' | 'new', startLine: number, endLine: number): void => {
    const code = linesOf(side === 'old' ? (file.oldContent ?? '') : modified, startLine, endLine)
    focusBefore.current = document.activeElement
    setDraft({ file: key, value: { side, startLine, endLine, code } })
  }
  const draftDone = (): void => {
    setDraft(undefined)
    focusEditor(body.current, focusBefore.current)
  }
  const openComment = (id: string): void => {
    setHighlighted(id)
    document.getElementById(commentElementId(id))?.scrollIntoView?.({ block: 'nearest' })
  }
  return (
    <div className="diff-pane" onKeyDown={onKeyDown}>
      <div className="diff-head">
        <span className={`tree-letter letter-${file.status}`}>{STATUS_LETTERS[file.status]}</span>
        <span className="diff-path" title={key}>
          {file.status === 'renamed' && <span className="muted">{file.oldPath} → </span>}
          {key}
        </span>
        <span className="muted">{STATUS_WORDS[file.status]}</span>
        {!file.binary && (
          <span className="tree-stats">
            <span className="add">+{file.additions}</span> <span className="del">−{file.deletions}</span>
          </span>
        )}
        {dirty && (
          <span className="pill warn" title="Unsaved changes">
            ● Unsaved
          </span>
        )}
        {canEdit && (
          <button
            type="button"
            className="button small"
            aria-pressed={editing}
            title={editing ? 'Back to reading: the review keys work again' : 'Edit the right-hand side (e)'}
            onClick={() => setEditing(!editing)}
          >
            Edit
          </button>
        )}
        {canEdit && (
          <button
            type="button"
            className="button small"
            disabled={!dirty || edits.saving}
            title={`Save into the workspace (${modLabel('S')})`}
            onClick={() => void save(key)}
          >
            {edits.saving ? 'Saving…' : 'Save'}
          </button>
        )}
        {review && selectable && (
          <ConfirmButton
            key={key}
            label="Discard file"
            question="Remove this file’s change from the workspace?"
            disabled={!review.canChange}
            title={
              review.canChange
                ? 'Revert the whole file in the workspace'
                : 'Only in review, with no turn running'
            }
            onConfirm={() => discardingFile.run(() => review.discard({}))}
          />
        )}
        <div className="segmented" role="group" aria-label="Diff layout">
          <button type="button" aria-pressed={sideBySide} onClick={() => onSideBySide(true)}>
            Side by side
          </button>
          <button type="button" aria-pressed={!sideBySide} onClick={() => onSideBySide(false)}>
            Inline
          </button>
        </div>
      </div>
      {edits.error && <ErrorView error={edits.error} compact onDismiss={edits.clearError} />}
      {discardingFile.error && (
        <ErrorView error={discardingFile.error} compact onDismiss={discardingFile.clear} />
      )}
      {review && hunks && hunks.length > 0 && (
        <HunkBar
          key={key}
          hunks={hunks}
          focused={scoped(focus, key)}
          review={review}
          onMove={(hunk) => {
            setFocus({ file: key, value: hunk })
            setReveal((r) => ({ key: hunk, at: (r?.at ?? 0) + 1 }))
          }}
        />
      )}
      <div className="diff-body" ref={body}>
        {hidden ?? (
          <Suspense fallback={<div className="diff-loading muted">Loading the editor…</div>}>
            <Editor
              original={file.oldContent ?? ''}
              modified={modified}
              language={languageOf(key)}
              modelKey={`${taskId}/${key}`}
              sideBySide={sideBySide}
              dark={dark}
              editable={canEdit && editing}
              layout={layoutOf(file)}
              onChange={(content) => edits.edit(key, base, content)}
              onSave={() => void save(key)}
              onEditRequest={() => canEdit && setEditing(true)}
              onFocusHunk={(hunk) =>
                setFocus((f) => (f?.file === key && f.value === hunk ? f : { file: key, value: hunk }))
              }
              revealHunk={reveal}
              {...reviewProps({ ...file, hunks }, review, selectable, { commentLines, openComment })}
            />
          </Suspense>
        )}
      </div>
      {review && (
        <Comments
          review={review}
          draft={scoped(draft, key)}
          onDraftDone={draftDone}
          highlighted={highlighted}
        />
      )}
    </div>
  )
}
