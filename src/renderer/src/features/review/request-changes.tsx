import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { TaskRecord } from '../../../../shared/task'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { isMod, modLabel } from '../../lib/keyboard'
import { navigate } from '../../lib/route'
import { taskListStore } from '../../lib/tasks'
import { discardName } from './use-discards'

const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** What "Request changes" sends, from the record: the open comments, what is left out, the discards. */
export function reviewItems(task: TaskRecord): {
  comments: NonNullable<TaskRecord['comments']>
  hunks: NonNullable<TaskRecord['excludedHunks']>
  files: string[]
  discards: NonNullable<TaskRecord['discards']>
} {
  return {
    comments: (task.comments ?? []).filter((c) => c.state === 'open'),
    hunks: task.excludedHunks ?? [],
    files: task.excludedPaths ?? [],
    discards: task.discards ?? [],
  }
}

/** "3 comments · 1 left-out hunk · 1 discard", or '' when there is nothing. */
export function reviewCounts(items: ReturnType<typeof reviewItems>): string {
  const parts = [
    items.comments.length ? count(items.comments.length, 'comment') : '',
    items.hunks.length ? count(items.hunks.length, 'left-out hunk') : '',
    items.files.length ? count(items.files.length, 'left-out file') : '',
    items.discards.length ? count(items.discards.length, 'discard') : '',
  ]
  return parts.filter(Boolean).join(' · ')
}

const lines = (start: number, end: number): string =>
  start === end ? `line ${start}` : `lines ${start}–${end}`

function Preview({ items }: { items: ReturnType<typeof reviewItems> }): React.JSX.Element {
  return (
    <ul className="request-preview" aria-label="What will be sent">
      {items.comments.map((c) => (
        <li key={`c${c.id}`}>
          <span className="muted">Comment</span> {c.path}, {c.side === 'old' ? 'old ' : ''}
          {lines(c.startLine, c.endLine)}: {c.text}
        </li>
      ))}
      {items.hunks.map((h) => (
        <li key={`h${h.path}${h.key}`}>
          <span className="muted">Left out</span> {h.path} ({h.lines ? count(h.lines.length, 'line') : 'hunk'}
          ){h.reason && <>: {h.reason}</>}
        </li>
      ))}
      {items.files.map((f) => (
        <li key={`f${f}`}>
          <span className="muted">Left out</span> {f}
        </li>
      ))}
      {items.discards.map((d) => (
        <li key={`d${d.id}`}>
          <span className="muted">Discarded</span> {discardName(d)}
          {d.reason && <>: {d.reason}</>}
        </li>
      ))}
    </ul>
  )
}

/**
 * "Request changes": a follow-up turn whose message the engine builds from the review (the note, the open
 * comments with their code, the left-out and discarded hunks with their reasons and patches). A button
 * with the counts opens a panel: the note, a preview, Send (Ctrl/Cmd+Enter); then the task page.
 */
export function RequestChanges({ task }: { task: TaskRecord }): React.JSX.Element {
  const [open, setOpen] = useState(false)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<AppErrorData | null>(null)
  const items = reviewItems(task)
  const counts = reviewCounts(items)
  const why =
    task.status !== 'review'
      ? 'Available when the task is in review'
      : !counts && !note.trim()
        ? 'Nothing to send: comment on a line, leave out a hunk, or write a note'
        : undefined

  const send = async (): Promise<void> => {
    if (why || busy) return
    setBusy(true)
    setError(null)
    const text = note.trim()
    const result = await settle(() =>
      api['tasks.requestChanges']({ id: task.id, ...(text ? { note: text } : {}) }),
    )
    setBusy(false)
    if (!result.ok) return setError(result.error)
    taskListStore().put([result.value])
    setNote('')
    setOpen(false)
    navigate({ page: 'task', id: task.id })
  }

  return (
    <div className="request-changes">
      <button
        type="button"
        className="button request-changes-toggle"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        Request changes{counts && <span className="muted"> · {counts}</span>}
      </button>
      {open && (
        <div className="request-panel" role="group" aria-label="Request changes">
          <textarea
            className="input"
            rows={3}
            aria-label="Review note"
            placeholder="Anything else the agent should know (optional)"
            value={note}
            disabled={busy}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && isMod(e)) {
                e.preventDefault()
                void send()
              }
            }}
          />
          {counts ? <Preview items={items} /> : null}
          {error && <ErrorView error={error} compact onDismiss={() => setError(null)} />}
          <div className="follow-up-foot">
            <span className="muted">{why ?? 'Runs another turn with your review'}</span>
            <button
              type="button"
              className="button primary"
              disabled={Boolean(why) || busy}
              title={why}
              onClick={() => void send()}
            >
              {busy ? 'Sending…' : 'Send request'} <kbd>{modLabel('↵')}</kbd>
            </button>
          </div>
        </div>
      )}
    </div>
  )
}
