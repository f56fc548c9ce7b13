import { useState } from 'react'
import { describeBlock } from '../../../../shared/network'
import type { TaskStatus } from '../../../../shared/task'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { allowPattern, canAllow } from '../../lib/network'
import { taskListStore } from '../../lib/tasks'
import type { BlockedItem } from './timeline-model'
import { useTaskActions } from './task-actions'

/** A task is running (so its proxy can take a new host) in these statuses. */
const RUNNING: readonly TaskStatus[] = ['preparing', 'setting_up', 'running']

const time = (iso: string): string =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

/**
 * "Blocked: registry.example.org:443 — not in this task's allowlist", the phase, how often, and while the
 * task runs "Allow for this task and retry" (tasks.allowHost with `host`, or `host:port` off 80 and 443).
 */
export function BlockedRow({ item }: { item: BlockedItem }): React.JSX.Element {
  const actions = useTaskActions()
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)
  const pattern = allowPattern(item)
  const allowed = done || Boolean(actions?.task.allowedHosts?.includes(pattern))
  const running = actions ? RUNNING.includes(actions.task.status) : false

  const allow = async (): Promise<void> => {
    if (!actions) return
    setBusy(true)
    const result = await settle(() => api['tasks.allowHost']({ id: actions.task.id, host: pattern }))
    setBusy(false)
    if (!result.ok) return actions.onError(result.error)
    taskListStore().put([result.value])
    setDone(true)
  }

  return (
    <div className="tl-note tl-blocked">
      <span className="tl-dot" aria-hidden="true" />
      <span className="tl-blocked-text">
        <strong>{describeBlock(item)}</strong>
        <span className="muted">
          {' '}
          · {item.phase === 'setup' ? 'setup' : 'agent'}
          {item.method ? ` · ${item.method}` : ''}
          {item.count > 1 ? ` · ${item.count} times` : ''}
        </span>
      </span>
      {actions &&
        canAllow(item) &&
        (allowed ? (
          <span className="tl-allowed" role="status">
            Allowed for this task
          </span>
        ) : (
          <button
            type="button"
            className="button small"
            disabled={!running || busy}
            title={running ? `Adds ${pattern} to this task’s allowlist` : 'The task is no longer running.'}
            onClick={() => void allow()}
          >
            {busy ? 'Allowing…' : 'Allow for this task and retry'}
          </button>
        ))}
      <span className="tl-time">{time(item.lastAt)}</span>
    </div>
  )
}
