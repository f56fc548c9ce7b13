import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { resumeCheck, type TaskRecord } from '../../../../shared/task'
import { api } from '../../lib/api'
import { navigate } from '../../lib/route'
import { retryInput } from './retry-input'

const STOPPED: ReadonlyArray<TaskRecord['status']> = ['failed', 'interrupted', 'cancelled']

/** What Resume would do, or why there is none (a failure of the task's own, which a resume would meet again). */
function resumeText(task: TaskRecord): string {
  const check = resumeCheck(task)
  if (!check.ok) return task.status === 'cancelled' ? '' : check.why
  if (check.fromScratch)
    return 'The import had not finished, so the workspace may be partial: Resume clears it and imports again.'
  return 'Resume keeps the workspace and the conversation so far, and goes on in a new container.'
}

/**
 * Resume (a task the app, Docker, the model API or the disk stopped) and Retry from scratch (a new task
 * with the same source, prompt and options), under the error that says why the task stopped.
 */
export function ResumeBar(props: {
  task: TaskRecord
  onError: (error: AppErrorData) => void
}): React.JSX.Element | null {
  const { task, onError } = props
  const [busy, setBusy] = useState<'resume' | 'retry' | null>(null)
  if (!STOPPED.includes(task.status)) return null
  const resumable = resumeCheck(task).ok

  const resume = async (): Promise<void> => {
    setBusy('resume')
    const result = await api['tasks.resume']({ id: task.id })
    setBusy(null)
    if (!result.ok) onError(result.error)
  }
  const retry = async (): Promise<void> => {
    setBusy('retry')
    const result = await api['tasks.submit'](retryInput(task))
    setBusy(null)
    if (!result.ok) onError(result.error)
    else navigate({ page: 'task', id: result.value.id })
  }
  const text = resumeText(task)
  return (
    <div className="resume-bar" role="group" aria-label="Go on with this task">
      {text && <span className="resume-bar-text muted">{text}</span>}
      {resumable && (
        <button
          type="button"
          className="button primary"
          disabled={busy !== null}
          onClick={() => void resume()}
        >
          {busy === 'resume' ? 'Resuming…' : 'Resume'}
        </button>
      )}
      <button
        type="button"
        className="button"
        disabled={busy !== null}
        title="A new task with the same source, prompt and options"
        onClick={() => void retry()}
      >
        {busy === 'retry' ? 'Starting…' : 'Retry from scratch'}
      </button>
    </div>
  )
}
