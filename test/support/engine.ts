import type { TaskEvent } from '../../src/shared/events'
import type { TaskRecord, TaskStatus } from '../../src/shared/task'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { openTestServices } from './services'

export { TEST_API_KEY } from './services'

/** A real engine on a temporary data dir, talking to the scripted model server. */
export async function openTestEngine(opts: Parameters<typeof openTestServices>[0]): Promise<TaskEngine> {
  return (await openTestServices(opts)).engine
}

/** Resolves when the task reaches one of `statuses`; fails with its events when it settles elsewhere. */
export function waitForStatus(
  engine: TaskEngine,
  id: string,
  statuses: TaskStatus[],
  timeoutMs = 120_000,
): Promise<TaskRecord> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const task = engine.get(id)
      if (statuses.includes(task.status)) {
        resolve(task)
        return true
      }
      if (['review', 'failed', 'cancelled', 'interrupted'].includes(task.status)) {
        reject(
          new Error(
            `task ${id} ended ${task.status}, not ${statuses.join('/')}: ${JSON.stringify(task.error)}`,
          ),
        )
        return true
      }
      return false
    }
    if (check()) return
    const timer = setTimeout(() => {
      unsubscribe()
      reject(
        new Error(
          `task ${id} did not reach ${statuses.join('/')} within ${timeoutMs} ms (${engine.get(id).status})`,
        ),
      )
    }, timeoutMs)
    const unsubscribe = engine.subscribe((event: TaskEvent) => {
      if (event.taskId === id && event.type === 'status' && check()) {
        clearTimeout(timer)
        unsubscribe()
      }
    })
  })
}

/** Resolves with the first event of the task that matches. */
export function waitForEvent(
  engine: TaskEngine,
  id: string,
  match: (event: TaskEvent) => boolean,
  timeoutMs = 120_000,
): Promise<TaskEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`task ${id}: the awaited event did not come within ${timeoutMs} ms`))
    }, timeoutMs)
    const unsubscribe = engine.subscribe((event) => {
      if (event.taskId === id && match(event)) {
        clearTimeout(timer)
        unsubscribe()
        resolve(event)
      }
    })
  })
}
