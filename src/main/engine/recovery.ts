import type { TaskRecord } from '../../shared/task'
import { removeTaskContainers } from '../docker/sandbox'
import type { TurnPlan } from './resume-plan'
import type { TaskStore } from './task-store'
import type { DockerClient } from './turn-deps'

const RUNNING_STATUSES: ReadonlyArray<TaskRecord['status']> = ['preparing', 'setting_up', 'running']

/**
 * What the engine does with the data directory it opens: tasks that were running when it last stopped are
 * marked interrupted (a resume can go on with them); queued ones are queued again, in order (a pending
 * resume as a resume, a pending follow-up as a follow-up, never as a new import); containers of ours that outlived the engine are removed (none of them runs now).
 */
export async function recoverTasks(opts: {
  store: TaskStore
  docker: DockerClient
  schedule: (id: string, plan: TurnPlan) => void
  interrupt: (id: string, message: string, hint: string) => Promise<void>
}): Promise<void> {
  for (const task of opts.store.list().reverse()) {
    if (RUNNING_STATUSES.includes(task.status)) {
      await opts.interrupt(
        task.id,
        'codex-sys stopped while this task was running.',
        'Resume it to go on where it stopped (its workspace and conversation are kept), or retry it from scratch.',
      )
    } else if (task.status === 'queued') {
      if (task.pendingResume !== undefined) opts.schedule(task.id, { kind: 'resume' })
      else if (task.pendingFollowUp)
        opts.schedule(task.id, { kind: 'followUp', prompt: task.pendingFollowUp })
      else if (!task.baselineCommit) opts.schedule(task.id, { kind: 'first' })
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
