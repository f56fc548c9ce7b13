import type { TaskStatus } from '../../../../shared/task'
import { STATUS_LABELS } from '../../lib/format'

/** Tone of a status: which colour the badge takes. */
export function statusTone(status: TaskStatus): 'active' | 'ok' | 'error' | 'muted' {
  switch (status) {
    case 'queued':
    case 'preparing':
    case 'setting_up':
    case 'running':
      return 'active'
    case 'review':
      return 'ok'
    case 'failed':
    case 'interrupted':
      return 'error'
    case 'cancelled':
      return 'muted'
  }
}

const SHORT_LABELS: Partial<Record<TaskStatus, string>> = { review: 'Review', setting_up: 'Setup' }

/**
 * A coloured dot and the status in words (`short` for tight rows); the dot pulses while the task works.
 * `noChanges`: a task in review whose diff has no file reads "No changes", not "Ready for review".
 */
export function StatusBadge({
  status,
  short,
  noChanges,
}: {
  status: TaskStatus
  short?: boolean
  noChanges?: boolean
}): React.JSX.Element {
  if (status === 'review' && noChanges)
    return (
      <span className="status-badge muted" data-status={status} data-no-changes="true">
        <span className="status-dot" aria-hidden="true" />
        No changes
      </span>
    )
  return (
    <span
      className={`status-badge ${statusTone(status)}`}
      data-status={status}
      title={short ? STATUS_LABELS[status] : undefined}
    >
      <span className="status-dot" aria-hidden="true" />
      {(short && SHORT_LABELS[status]) || STATUS_LABELS[status]}
    </span>
  )
}
