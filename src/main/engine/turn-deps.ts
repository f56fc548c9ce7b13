import type { TaskEventBody } from '../../shared/events'
import type { Settings } from '../../shared/settings'
import type { TaskRecord } from '../../shared/task'
import type { createDockerClient } from '../docker/client'
import type { ProxyTransport, Sandbox } from '../docker/sandbox'
import type { ImageVariant } from '../docker/variant-image'
import { AppError } from '../errors'
import type { NetworkNotes } from './network-notes'
import type { TaskStore } from './task-store'

export type DockerClient = ReturnType<typeof createDockerClient>

export interface TurnDeps {
  store: TaskStore
  settings: Settings
  docker: DockerClient
  /** The agent image's tag, built first if missing; with a variant, that runtime's image (built on it). */
  ensureImage: (onProgress: (line: string, ratio?: number) => void, variant?: ImageVariant) => Promise<string>
  apiKey: string
  baseURL?: string
  githubToken?: string
  emit: (body: TaskEventBody) => void
  signal: AbortSignal
  /** Epoch ms by which the turn must end (the task's time limit). */
  deadline: number
  /** Told of the turn's current container as soon as it exists, so a cancel can kill it at once. */
  onSandbox: (sandbox: Sandbox | undefined) => void
  /** Stops the turn from inside (a limit it hit), as a cancel does from outside. */
  stop: (reason: AppError) => void
  /**
   * Runs `fn` with the task's workspace to itself: no other host reader (diff, export, save) runs
   * meanwhile, and no container of this task is alive (the turn only starts one after it returns).
   */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>
  /** How often the workspace size is checked while a container runs (default WORKSPACE_CHECK_MS). */
  workspaceCheckMs?: number
  /** What the agent is told about the network (blocked requests, hosts the user allowed). */
  notes: NetworkNotes
  /** The host's CA bundle (a PEM file), mounted read-only in every container. */
  caBundlePath?: string
  /** How a proxied sandbox reaches the host's proxies (default: a bind mount of their sockets). */
  proxyTransport?: () => Promise<ProxyTransport>
  /** How the workspace reaches the container: bind-mounted (default), or shipped (workspace-copy.ts). */
  workspaceMode?: 'mount' | 'copy'
}

/** Records and announces a status of the turn (after checking it was not stopped meanwhile). */
export async function setStatus(
  deps: TurnDeps,
  taskId: string,
  status: TaskRecord['status'],
  message?: string,
): Promise<TaskRecord> {
  checkSignal(deps.signal)
  const patch: Partial<TaskRecord> = { status }
  if (status === 'preparing' && !deps.store.get(taskId).startedAt) patch.startedAt = new Date().toISOString()
  const task = await deps.store.update(taskId, patch)
  deps.emit({ type: 'status', status, message })
  return task
}

export function checkSignal(signal: AbortSignal): void {
  if (!signal.aborted) return
  throw signal.reason instanceof AppError
    ? signal.reason
    : new AppError('cancelled', 'The task was cancelled.')
}
