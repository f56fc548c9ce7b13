import type { TaskRecord } from '../../shared/task'
import { removeTaskContainers } from '../docker/sandbox'
import type { TaskStore } from './task-store'
import type { DockerClient } from './turn-deps'

const RUNNING_STATUSES: ReadonlyArray<TaskRecord['status']> = ['preparing', 'setting_up', 'running']

/**
 * What the engine does with the data directory it opens: tasks that were running when it last stopped are
 * marked interrupted; queued ones are queued again, in order (a pending follow-up as a follow-up, never as
 * a new import); containers of ours that outlived the engine are removed (none of them runs now).
 */
export async function recoverTasks(opts: {
  store: TaskStore
  docker: DockerClient
  schedule: (id: string, followUp: string | undefined) => void
  interrupt: (id: string, message: string, hint: string) => Promise<void>
}): Promise<void> {
  for (const task of opts.store.list().reverse()) {
    if (RUNNING_STATUSES.includes(task.status)) {
      await opts.interrupt(
        task.id,
        'codex-sys stopped while this task was running.',
        'Run the task again; its logs so far are kept.',
      )
    } else if (task.status === 'queued') {
      if (task.pendingFollowUp) opts.schedule(task.id, task.pendingFollowUp)
      else if (!task.baselineCommit) opts.schedule(task.id, undefined)
      // A queued turn on an imported workspace whose follow-up text is gone (a record from before it was kept).
      else
        await opts.interrupt(
          task.id,
          'codex-sys stopped before the queued follow-up could start.',
          'The workspace and its changes are kept; send the follow-up again.',
        )
    }
  }
  await removeTaskContainers(opts.docker, { keep: (taskId) => !opts.store.has(taskId) }).catch(
    () => undefined,
  )
}
