import { useState } from 'react'
import type { ReviewComment } from '../../../../shared/review'
import { ErrorView } from '../../lib/error-view'
import { isMod, modLabel } from '../../lib/keyboard'
import { useActionError } from './action-error'
import type { FileReview } from './file-review'
import { linesLabel, type Side } from './monaco-gutter'

/** Lines chosen for a new comment, with their code. */
export interface CommentDraft {
  side: Side
  startLine: number
  endLine: number
  code: string
}

/** The element id of a comment in the list (its gutter glyph scrolls to it). */
export const commentElementId = (id: string): string => `review-comment-${id}`

const byLine = (a: ReviewComment, b: ReviewComment): number =>
  a.startLine - b.startLine || a.endLine - b.endLine || a.createdAt.localeCompare(b.createdAt)

/**
 * A textarea with its buttons: Ctrl/Cmd+Enter submits, Escape cancels. A refused submit is shown in the
 * form, which keeps its text.
 */
function CommentForm(props: {
  label: string
  submitLabel: string
  initial?: string
  onSubmit: (text: string) => Promise<void>
  onCancel: () => void
}): React.JSX.Element {
  const { label, submitLabel, initial = '', onSubmit, onCancel } = props
  const [text, setText] = useState(initial)
  const [busy, setBusy] = useState(false)
  const submitting = useActionError()
  const submit = async (): Promise<void> => {
    if (!text.trim() || busy) return
    setBusy(true)
    await submitting.run(() => onSubmit(text.trim()))
    setBusy(false)
  }
  return (
    <div className="comment-form">
      <textarea
        className="input"
        aria-label={label}
        rows={3}
        value={text}
        autoFocus
        maxLength={20_000}
        placeholder="What should change here? (sent to the agent by “Request changes”)"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && isMod(e)) {
            e.preventDefault()
            void submit()
          } else if (e.key === 'Escape') {
            e.preventDefault()
            onCancel()
          }
        }}
      />
      {submitting.error && <ErrorView error={submitting.error} compact onDismiss={submitting.clear} />}
      <div className="comment-actions">
        <button
          type="button"
          className="button small primary"
          disabled={!text.trim() || busy}
          title={modLabel('Enter')}
          onClick={() => void submit()}
        >
          {submitLabel}
        </button>
        <button type="button" className="button small ghost" onClick={onCancel} title="Escape">
          Cancel
        </button>
      </div>
    </div>
  )
}

function CommentItem(props: {
  comment: ReviewComment
  review: FileReview
  highlighted: boolean
}): React.JSX.Element {
  const { comment: c, review, highlighted } = props
  const [editing, setEditing] = useState(false)
  const acting = useActionError()
  const addressed = c.state === 'addressed'
  return (
    <li id={commentElementId(c.id)} className={`comment${highlighted ? ' is-highlighted' : ''}`}>
      <div className="comment-head">
        <span className="comment-lines">{linesLabel(c.side, c.startLine, c.endLine)}</span>
        <span className={`pill ${addressed ? 'info' : 'muted'}`}>{addressed ? 'Addressed?' : 'Open'}</span>
        {c.sentAt && <span className="muted">sent</span>}
        {review.canChange && !editing && (
          <span className="comment-tools">
            <button
              type="button"
              className="button small ghost"
              onClick={() =>
                void acting.run(() => review.setCommentState(c.id, addressed ? 'open' : 'addressed'))
              }
            >
              {addressed ? 'Reopen' : 'Resolve'}
            </button>
            <button type="button" className="button small ghost" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              className="button small ghost"
              onClick={() => void acting.run(() => review.deleteComment(c.id))}
            >
              Delete
            </button>
          </span>
        )}
      </div>
      {acting.error && <ErrorView error={acting.error} compact onDismiss={acting.clear} />}
      {c.code && <pre className="comment-code">{c.code}</pre>}
      {editing ? (
        <CommentForm
          label="Edit comment"
          submitLabel="Save comment"
          initial={c.text}
          onSubmit={async (text) => {
            await review.editComment(c.id, text)
            setEditing(false)
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <div className="comment-text">{c.text}</div>
      )}
    </li>
  )
}

/**
 * The file's comments under the editor, by line, and the composer for new ones (lines chosen in the
 * editor). Reading always; adding, editing, resolving and deleting only when the review can change.
 */
export function Comments(props: {
  review: FileReview
  draft: CommentDraft | undefined
  onDraftDone: () => void
  highlighted?: string
}): React.JSX.Element | null {
  const { review, draft, onDraftDone, highlighted } = props
  const comments = [...review.comments].sort(byLine)
  if (!comments.length && !draft) return null
  return (
    <section className="comments" aria-label="Comments">
      {draft && review.canChange && (
        <div className="comment comment-new">
          <div className="comment-head">
            <span className="comment-lines">{linesLabel(draft.side, draft.startLine, draft.endLine)}</span>
          </div>
          {draft.code && <pre className="comment-code">{draft.code}</pre>}
          <CommentForm
            label="New comment"
            submitLabel="Add comment"
            onSubmit={async (text) => {
              await review.addComment(draft.side, draft.startLine, draft.endLine, text)
              onDraftDone()
            }}
            onCancel={onDraftDone}
          />
        </div>
      )}
      {comments.length > 0 && (
        <ol className="comment-list">
          {comments.map((c) => (
            <CommentItem key={c.id} comment={c} review={review} highlighted={c.id === highlighted} />
          ))}
        </ol>
      )}
    </section>
  )
}
