import { useEffect, useRef, useState } from 'react'
import type { DiffHunk } from '../../../../shared/review'
import { ErrorView } from '../../lib/error-view'
import { useActionError } from './action-error'
import type { FileReview } from './file-review'
import { hunkState } from './monaco-gutter'

/**
 * A button that asks first, in place: "Discard hunk" turns into "Discard it from the workspace?" with
 * "Discard" and "Cancel" (no window.confirm). Escape cancels.
 */
export function ConfirmButton(props: {
  label: string
  question: string
  disabled?: boolean
  title?: string
  /** Reports its own failure (it should not reject: see useActionError). */
  onConfirm: () => Promise<unknown>
}): React.JSX.Element {
  const { label, question, disabled = false, title, onConfirm } = props
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const confirm = async (): Promise<void> => {
    setBusy(true)
    try {
      await onConfirm()
    } finally {
      setBusy(false)
      setAsking(false)
    }
  }
  if (!asking || disabled)
    return (
      <button
        type="button"
        className="button small"
        disabled={disabled}
        title={title}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    )
  return (
    <span
      className="confirm-inline"
      role="group"
      aria-label={label}
      onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}
    >
      <span className="confirm-question">{question}</span>
      <button type="button" className="button small danger" disabled={busy} onClick={() => void confirm()}>
        {busy ? 'Discarding…' : 'Discard'}
      </button>
      <button
        type="button"
        className="button small ghost"
        disabled={busy}
        onClick={() => setAsking(false)}
        autoFocus
      >
        Cancel
      </button>
    </span>
  )
}

/** Why a hunk is left out; saved on blur and Enter, only when it changed. */
function ReasonField(props: { hunkKey: string; review: FileReview }): React.JSX.Element {
  const { hunkKey, review } = props
  const saved = review.reasons.get(hunkKey) ?? ''
  const [text, setText] = useState(saved)
  const save = (): void => {
    if (text.trim() !== saved.trim()) review.setReason(hunkKey, text.trim())
  }
  return (
    <input
      className="input hunk-reason"
      type="text"
      aria-label="Reason for leaving it out"
      placeholder="Why leave it out? (told to the agent)"
      value={text}
      maxLength={4000}
      onChange={(e) => setText(e.target.value)}
      onBlur={save}
      onKeyDown={(e) => {
        if (e.key !== 'Enter') return
        e.preventDefault()
        save()
      }}
    />
  )
}

function IncludeBox(props: { hunk: DiffHunk; review: FileReview }): React.JSX.Element {
  const { hunk, review } = props
  const state = hunkState(hunk, review.excluded)
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = state === 'partial'
  }, [state])
  return (
    <label className="hunk-include">
      <input
        ref={ref}
        type="checkbox"
        aria-label="Include this hunk"
        checked={state === 'included'}
        onChange={() => review.toggleHunk(hunk.key)}
      />
      <span aria-hidden="true">Include</span>
    </label>
  )
}

/**
 * The focused hunk's bar above the editor: which hunk ("Hunk 2 of 3 · @@ -10,3 +10,4 @@"), its include box,
 * the way to the previous and next hunk, the reason it is left out, and "Discard hunk" (a refusal shown
 * in the bar).
 */
export function HunkBar(props: {
  hunks: DiffHunk[]
  focused: string | undefined
  review: FileReview
  onMove: (key: string) => void
}): React.JSX.Element | null {
  const { hunks, focused, review, onMove } = props
  const discarding = useActionError()
  const found = hunks.findIndex((h) => h.key === focused)
  const index = found === -1 ? 0 : found
  const hunk = hunks[index]
  if (!hunk) return null
  const state = hunkState(hunk, review.excluded)
  const header = hunk.header.match(/^@@[^@]*@@/)?.[0] ?? hunk.header
  const move = (delta: number): void => {
    const next = hunks[index + delta]
    if (next) onMove(next.key)
  }
  return (
    <div role="region" aria-label="Hunk">
      <div className="hunk-bar">
        <IncludeBox hunk={hunk} review={review} />
        <span className="hunk-title">
          Hunk {index + 1} of {hunks.length} · <code>{header}</code>
        </span>
        <button
          type="button"
          className="button small ghost"
          aria-label="Previous hunk"
          title="Previous hunk (p)"
          disabled={index === 0}
          onClick={() => move(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className="button small ghost"
          aria-label="Next hunk"
          title="Next hunk (n)"
          disabled={index === hunks.length - 1}
          onClick={() => move(1)}
        >
          ↓
        </button>
        {state !== 'included' && <ReasonField key={hunk.key} hunkKey={hunk.key} review={review} />}
        <span className="hunk-bar-end">
          <ConfirmButton
            key={hunk.key}
            label="Discard hunk"
            question="Remove this hunk’s change from the workspace?"
            disabled={!review.canChange}
            title={
              review.canChange ? 'Revert this hunk in the workspace' : 'Only in review, with no turn running'
            }
            onConfirm={() =>
              discarding.run(() =>
                review.discard({ hunk: hunk.key }, review.reasons.get(hunk.key) || undefined),
              )
            }
          />
        </span>
      </div>
      {discarding.error && <ErrorView error={discarding.error} compact onDismiss={discarding.clear} />}
    </div>
  )
}
