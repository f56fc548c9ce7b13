import type Docker from 'dockerode'
import { dockerStatusCode, toDockerAppError } from './client'
import { TASK_LABEL } from './container-spec'

export interface TaskContainer {
  id: string
  taskId: string
  /** Docker's state word: created, running, exited, dead, … */
  state: string
}

/** Every container (running or not) that carries the task label. */
export async function listTaskContainers(docker: Docker): Promise<TaskContainer[]> {
  try {
    const list = await docker.listContainers({ all: true, filters: { label: [TASK_LABEL] } })
    return list.map((c) => ({ id: c.Id, taskId: c.Labels?.[TASK_LABEL] ?? '', state: c.State }))
  } catch (err) {
    throw toDockerAppError(err, 'Could not list the task containers')
  }
}

/** Force-removes a container; "no such container" and "removal already in progress" count as done. */
export async function forceRemoveContainer(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true })
    return true
  } catch (err) {
    const status = dockerStatusCode(err)
    if (status === 404 || status === 409) return false
    throw toDockerAppError(err, 'Could not remove a task container')
  }
}

/**
 * Removes labelled task containers: those of `taskId` when given, else every one whose task `keep` does
 * not claim (all of them without a filter). Returns how many were removed.
 */
export async function removeTaskContainers(
  docker: Docker,
  filter: { taskId?: string; keep?: (taskId: string) => boolean } = {},
): Promise<number> {
  const victims = (await listTaskContainers(docker)).filter((c) => {
    if (filter.taskId !== undefined && c.taskId !== filter.taskId) return false
    return !filter.keep?.(c.taskId)
  })
  const removed = await Promise.all(victims.map((c) => forceRemoveContainer(docker, c.id)))
  return removed.filter(Boolean).length
}
