import { useCallback, useMemo, useState } from 'react'
import type { ArtifactName } from '../../../../shared/contract'
import type { AppErrorData } from '../../../../shared/errors'
import { taskListStore, useTask, useTaskEvents } from '../../lib/tasks'
import { ArtifactsBar } from './artifacts-bar'
import { ArtifactViewer } from './artifact-viewer'
import { ErrorView } from '../../lib/error-view'
import { ProgressBar } from './progress-bar'
import { progressLine } from './progress-words'
import { TaskActionsContext, type TaskActions } from './task-actions'
import { TaskHeader } from './task-header'
import { OutcomeList } from './outcome-list'
import { ResumeBar } from './resume-bar'
import { TaskOutcome } from './task-outcome'
import { Timeline } from './timeline'
import { useTimeline } from './use-timeline'
import './task.css'

function Prompt({ text }: { text: string }): React.JSX.Element {
  const [open, setOpen] = useState(false)
  return (
    <button
      type="button"
      className={`task-prompt${open ? ' is-open' : ''}`}
      onClick={() => setOpen(!open)}
      aria-expanded={open}
      title={open ? 'Collapse' : 'Show the whole task'}
    >
      {text}
    </button>
  )
}

/** One task: header with live usage, import progress, the live timeline, logs one click away. */
export function TaskPage({ id }: { id: string }): React.JSX.Element {
  const task = useTask(id)
  const events = useTaskEvents(id)
  const { items, progress } = useTimeline(events)
  const [artifact, setArtifact] = useState<ArtifactName | null>(null)
  const [actionError, setActionError] = useState<AppErrorData | null>(null)
  const close = useCallback(() => setArtifact(null), [])
  const actions = useMemo<TaskActions | undefined>(
    () => (task ? { task, onError: setActionError } : undefined),
    [task],
  )

  if (!task)
    return (
      <section className="task-page page-empty" aria-label="Task">
        {taskListStore().loaded ? `No task with the id ${id}.` : 'Loading…'}
      </section>
    )

  const line = progressLine(task, progress)
  return (
    <section className="task-page" aria-label="Task">
      <TaskHeader task={task} onError={setActionError} />
      {actionError && <ErrorView error={actionError} onDismiss={() => setActionError(null)} />}
      <TaskOutcome task={task} onOpen={setArtifact} />
      <ResumeBar task={task} onError={setActionError} />
      <OutcomeList task={task} />
      {line && <ProgressBar progress={line} />}
      <div className="task-subbar">
        <Prompt text={task.prompt} />
        <ArtifactsBar onOpen={setArtifact} />
      </div>
      <TaskActionsContext.Provider value={actions}>
        <Timeline
          items={items}
          empty={
            <div className="timeline-empty muted">
              {task.status === 'queued' ? 'Waiting in the queue…' : 'No events yet.'}
            </div>
          }
        />
      </TaskActionsContext.Provider>
      {artifact && <ArtifactViewer id={id} name={artifact} onClose={close} />}
    </section>
  )
}
