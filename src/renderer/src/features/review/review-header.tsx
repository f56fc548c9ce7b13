import type { DiffResult } from '../../../../shared/diff'
import type { TaskRecord } from '../../../../shared/task'
import { modLabel } from '../../lib/keyboard'
import { navigate } from '../../lib/route'
import { StatusBadge } from '../task-list/status-badge'
import { TurnPicker } from './turn-picker'
import { discardName } from './use-discards'

function Totals(props: { result: DiffResult; excluded: number; partly: number }): React.JSX.Element {
  const { result, excluded, partly } = props
  return (
    <span className="review-totals" aria-label="Totals">
      {result.files} {result.files === 1 ? 'file' : 'files'} <span className="add">+{result.additions}</span>{' '}
      <span className="del">−{result.deletions}</span>
      {excluded > 0 && <span className="muted"> · {excluded} excluded</span>}
      {partly > 0 && <span className="muted"> · {partly} partly</span>}
    </span>
  )
}

/**
 * The review's header: back to the task, title, status, totals (with what is left out), the turn picker,
 * and "Undo discard of …" while a discard can be undone.
 */
export function ReviewHeader(props: {
  task: TaskRecord
  result: DiffResult | undefined
  excluded: number
  partly: number
  turn: number | undefined
  onTurn: (turn: number | undefined) => void
  canUndo: boolean
  onUndo: () => void
}): React.JSX.Element {
  const { task, result, turn, canUndo, onUndo } = props
  const last = task.discards?.at(-1)
  return (
    <header className="review-header">
      <button type="button" className="button ghost" onClick={() => navigate({ page: 'task', id: task.id })}>
        ← Task
      </button>
      <h1 className="review-title" title={task.prompt}>
        {task.title}
      </h1>
      <StatusBadge status={task.status} noChanges={task.diff?.files === 0} />
      {result && <Totals result={result} excluded={props.excluded} partly={props.partly} />}
      <TurnPicker snapshots={task.turnSnapshots} turn={turn} onChange={props.onTurn} />
      {last && (
        <button
          type="button"
          className="button small"
          disabled={!canUndo}
          title={`Put it back in the workspace (${modLabel('Z')})`}
          onClick={onUndo}
        >
          Undo discard of {discardName(last)}
        </button>
      )}
    </header>
  )
}
