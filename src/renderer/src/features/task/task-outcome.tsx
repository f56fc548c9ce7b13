import type { ArtifactName } from '../../../../shared/contract'
import type { TaskRecord } from '../../../../shared/task'
import { ErrorView } from '../../lib/error-view'

/**
 * How a settled task ended, when that needs saying: the error with what to do next, or a short note (a
 * task in review whose turn changed nothing says so).
 */
export function TaskOutcome(props: {
  task: TaskRecord
  onOpen: (name: ArtifactName) => void
}): React.JSX.Element | null {
  const { task, onOpen } = props
  if (task.status === 'failed') {
    const error = task.error ?? { kind: 'internal' as const, message: 'The task failed.' }
    return (
      <div className="task-failure">
        <ErrorView error={error} />
        <div className="task-failure-actions">
          <span className="muted">See what happened:</span>
          <button type="button" className="button" onClick={() => onOpen('agent.log')}>
            Open agent.log
          </button>
          {error.kind === 'setup_failed' && (
            <button type="button" className="button" onClick={() => onOpen('setup.log')}>
              Open setup.log
            </button>
          )}
        </div>
      </div>
    )
  }
  if (task.status === 'cancelled')
    return <div className="notice">This task was cancelled. Its logs are kept.</div>
  if (task.status === 'interrupted')
    return (
      <ErrorView
        error={task.error ?? { kind: 'interrupted', message: 'The app stopped while this task ran.' }}
      />
    )
  if (task.status === 'review' && task.diff?.files === 0)
    return <div className="notice">The agent changed nothing in the workspace.</div>
  return null
}
