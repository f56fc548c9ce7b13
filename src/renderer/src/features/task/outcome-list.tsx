import type { TaskOutcome, TaskRecord } from '../../../../shared/task'
import './outcome-list.css'
import { isDesktop } from '../../lib/api'
import { formatBytes, relativeTime } from '../../lib/format'
import { ExternalLink } from '../publish/external-link'

function OutcomeText({
  outcome: o,
  taskId,
  desktop,
}: {
  outcome: TaskOutcome
  taskId: string
  desktop: boolean
}): React.JSX.Element {
  switch (o.kind) {
    case 'pull_request':
      return (
        <>
          {o.draft ? 'Draft pull request' : 'Pull request'}{' '}
          <ExternalLink href={o.url} desktop={desktop}>
            {o.repo}#{o.number}
          </ExternalLink>{' '}
          <span className="muted">
            from {o.forked ? 'fork branch' : 'branch'} <code>{o.branch}</code>
          </span>
        </>
      )
    case 'pushed':
      return (
        <>
          Pushed <code>{o.branch}</code> <span className="muted">to</span>{' '}
          <span className="mono">{o.remote}</span>
        </>
      )
    case 'applied':
      return (
        <>
          Applied {o.files.length} {o.files.length === 1 ? 'file' : 'files'} <span className="muted">to</span>{' '}
          <span className="mono">{o.folder}</span>
          {o.mode === 'branch' && o.branch && (
            <>
              {' '}
              <span className="muted">on branch</span> <code>{o.branch}</code>
            </>
          )}
        </>
      )
    case 'exported':
      return (
        <>
          Exported{' '}
          {desktop ? (
            <span className="mono">{o.artifact}</span>
          ) : (
            <a href={`/api/logs/${encodeURIComponent(taskId)}/${o.artifact}`} download={o.artifact}>
              {o.artifact}
            </a>
          )}{' '}
          <span className="muted">({formatBytes(o.bytes)})</span>
          {o.omitted?.length ? (
            <span className="muted" title={o.omitted.map((p) => `${p.path}: ${p.reason}`).join('\n')}>
              {' '}
              — left out {o.omitted.length === 1 ? o.omitted[0]!.path : `${o.omitted.length} files`} (unsafe
              names)
            </span>
          ) : null}
        </>
      )
  }
}

/** What became of the task's change (pull requests, pushes, applies, exports), newest first. */
export function OutcomeList(props: {
  task: TaskRecord
  compact?: boolean
  desktop?: boolean
}): React.JSX.Element | null {
  const { task, compact, desktop = isDesktop } = props
  const outcomes = task.outcomes ?? []
  if (!outcomes.length) return null
  const newestFirst = [...outcomes].sort((a, b) => b.at.localeCompare(a.at))
  return (
    <section className={compact ? 'outcome-list compact' : 'outcome-list'} aria-label="Outcomes">
      {!compact && <h2 className="outcome-title">Published</h2>}
      <ul>
        {newestFirst.map((o, i) => (
          <li key={`${o.at}-${i}`} className={`outcome outcome-${o.kind}`}>
            <span className="outcome-text">
              <OutcomeText outcome={o} taskId={task.id} desktop={desktop} />
            </span>
            <time className="muted small" dateTime={o.at} title={new Date(o.at).toLocaleString()}>
              {relativeTime(o.at)}
            </time>
          </li>
        ))}
      </ul>
    </section>
  )
}
