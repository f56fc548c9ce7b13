import { isSettled, type TaskRecord } from '../../../../shared/task'
import type { AppErrorData } from '../../../../shared/errors'
import { formatCost, formatDuration, formatTokens, sourceLabel, sourceText } from '../../lib/format'
import { navigate } from '../../lib/route'
import { CancelButton } from './cancel-button'
import { EngineChip } from '../task-list/engine-chip'
import { StatusBadge } from '../task-list/status-badge'
import { useNow } from './use-now'

function elapsed(task: TaskRecord, now: number): number | undefined {
  const start = Date.parse(task.startedAt ?? task.createdAt)
  if (Number.isNaN(start)) return undefined
  const end = task.finishedAt
    ? Date.parse(task.finishedAt)
    : isSettled(task.status)
      ? Date.parse(task.updatedAt)
      : now
  return Math.max(0, end - start)
}

const cachedNote = (cached: number | undefined): string =>
  cached ? ` (${cached.toLocaleString()} cached)` : ''

const SOURCE_KINDS = { git: 'Git', zip: 'ZIP', folder: 'Folder' } as const

function Stat({ label, value, title }: { label?: string; value: string; title?: string }): React.JSX.Element {
  return (
    <span className="stat" title={title}>
      <span className="stat-value">{value}</span>
      {label && (
        <>
          {' '}
          <span className="stat-label">{label}</span>
        </>
      )}
    </span>
  )
}

/** Title, status, source, live elapsed time, steps, tokens, cost; Cancel while it runs, Review when ready. */
export function TaskHeader(props: {
  task: TaskRecord
  onError: (e: AppErrorData) => void
}): React.JSX.Element {
  const { task, onError } = props
  const live = !isSettled(task.status)
  const now = useNow(live && task.status !== 'queued')
  const ms = elapsed(task, now)
  const { usage, limits } = task
  const tokens = usage.promptTokens + usage.completionTokens
  return (
    <header className="task-header">
      <div className="task-header-main">
        <h1 className="task-title" title={task.prompt}>
          {task.title}
        </h1>
        <div className="task-meta">
          <StatusBadge status={task.status} noChanges={task.diff?.files === 0} />
          <span className="task-source" title={sourceText(task.source)}>
            <span className="source-kind">{SOURCE_KINDS[task.source.kind]}</span> {sourceLabel(task.source)}
          </span>
          <EngineChip engine={task.engine} />
          {task.turns > 1 && <span className="muted">turn {task.turns}</span>}
        </div>
      </div>
      <div className="task-stats" aria-label="Usage">
        <Stat label="elapsed" value={ms === undefined ? '—' : formatDuration(ms)} />
        <Stat label="steps" value={String(usage.steps)} title={`Limit: ${limits.maxSteps} steps`} />
        <Stat
          label="tokens"
          value={formatTokens(tokens)}
          title={`${usage.promptTokens.toLocaleString()} prompt${cachedNote(usage.cachedPromptTokens)} + ${usage.completionTokens.toLocaleString()} completion (limit ${limits.maxTokens.toLocaleString()})`}
        />
        {usage.costKnown === false ? (
          <Stat
            value="cost unknown"
            title={`The model has no price: the cost limit ($${limits.maxCostUsd}) cannot be checked; the token limit applies.`}
          />
        ) : (
          <Stat
            label="cost"
            value={formatCost(usage.costUsd)}
            title={`$${usage.costUsd.toFixed(4)} of $${limits.maxCostUsd}`}
          />
        )}
      </div>
      {(live || task.status === 'review') && (
        <div className="task-actions">
          {live && <CancelButton id={task.id} onError={onError} />}
          {task.status === 'review' && (
            <button
              type="button"
              className="button primary"
              onClick={() => navigate({ page: 'review', id: task.id })}
            >
              Review changes →
            </button>
          )}
        </div>
      )}
    </header>
  )
}
