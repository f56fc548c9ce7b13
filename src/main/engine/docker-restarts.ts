import type { AppErrorData } from '../../shared/errors'
import { isDockerConnectionError } from '../docker/client'
import { pingEngine } from '../docker/engine-probe'
import { removeTaskContainers } from '../docker/task-containers'
import { AppError, toErrorData } from '../errors'
import { DockerWatch, type DockerWatchOptions } from './docker-watch'
import { LOCAL_ENGINE } from '../../shared/engines'
import type { TaskQueue } from './task-queue'
import type { TaskRunner } from './task-run'
import type { TaskStore } from './task-store'
import type { DockerClient } from './turn-deps'

export const DOCKER_GONE_MESSAGE = 'Docker stopped while this task was running — resume when it is back.'
const DOCKER_GONE_HINT =
  'Start Docker again (Docker Desktop, or `sudo systemctl start docker`), then resume the task: its workspace and work so far are kept.'

/** The error a task ends `interrupted` with when the Docker engine went away under it. */
export function dockerGone(cause?: unknown): AppError {
  return new AppError('docker_unavailable', DOCKER_GONE_MESSAGE, {
    hint: DOCKER_GONE_HINT,
    details: { dockerStopped: true },
    cause,
  })
}

const DOCKER_DOWN = new AppError('docker_unavailable', 'Docker stopped answering.', {
  hint: 'Start Docker again: queued tasks start once it answers, and interrupted ones can be resumed.',
})

/** What the UI is told on each edge: whether Docker answers, and why not. */
export type DockerChange = { reachable: true } | { reachable: false; error: AppErrorData }

export interface DockerRestartsDeps {
  docker: DockerClient
  store: TaskStore
  queue: TaskQueue
  /** The turns running now, and how one is stopped (task-run.ts). */
  runner: Pick<TaskRunner, 'runs' | 'stop'>
  /** The engine watched (its lane of the queue, the runs on it); unset: the local one. */
  engine?: string
  /** Its lane starts held (a remote engine: only healthy ones take tasks): let go at the first answer. */
  holdUntilUp?: boolean
  /** Intervals and thresholds of the watcher (tests). */
  watch?: Partial<Omit<DockerWatchOptions, 'look' | 'busy'>>
}

const PING_TIMEOUT_MS = 2_000

/**
 * What the engine does when Docker goes away and comes back. Gone (after it answered once): the queue
 * holds its waiting tasks, and each running task is stopped and ends `interrupted` with DOCKER_GONE_MESSAGE
 * (a turn that fails by itself on the lost engine ends the same way, see `interruption`). Back:
 * containers of our tasks that no run claims are removed (a label sweep), then the queue goes on.
 */
export class DockerRestarts {
  readonly watch: DockerWatch
  private readonly listeners = new Set<(change: DockerChange) => void>()
  private readonly engine: string

  constructor(private readonly deps: DockerRestartsDeps) {
    this.engine = deps.engine ?? LOCAL_ENGINE
    this.watch = new DockerWatch({
      ...deps.watch,
      look: (light) => pingEngine(deps.docker, { timeoutMs: PING_TIMEOUT_MS, light }),
      busy: () => this.runsHere().length > 0 || deps.queue.waitingIds.length > 0,
    })
    this.watch.onChange((state, previous) => {
      if (state === 'up' && previous === 'unknown' && deps.holdUntilUp) deps.queue.resume(this.engine)
      if (state === 'down' && previous === 'up') this.gone()
      if (state === 'up' && previous === 'down') void this.back()
      // The UI asks for the status when it opens: only a change after that is news.
      if (previous === 'unknown') return
      const change: DockerChange =
        state === 'up' ? { reachable: true } : { reachable: false, error: DOCKER_DOWN.toData() }
      for (const listener of this.listeners) listener(change)
    })
    this.watch.start()
  }

  /** Told on each edge after the first answer (for the UI's Docker indicator). */
  onChange(listener: (change: DockerChange) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  close(): void {
    this.watch.stop()
  }

  /**
   * For a turn that failed: when the failure is the engine going away (and the engine had answered
   * before), holds the queue until Docker is back and returns the error the task ends `interrupted` with
   * (DOCKER_GONE_MESSAGE); otherwise undefined (the failure is settled as usual).
   */
  async interruption(err: unknown): Promise<AppErrorData | undefined> {
    if (!this.watch.everUp || !(await this.isDockerGone(err))) return undefined
    this.deps.queue.pause(this.engine)
    // Down: the watcher's edge keeps the queue held until it is back. Still (or again) up: a sweep, go on.
    void this.watch.check().then((state) => (state === 'up' ? this.back() : undefined))
    return dockerGone(err).toData()
  }

  /** docker_unavailable from the Docker layer, or a lost connection while the engine does not answer. */
  private async isDockerGone(err: unknown): Promise<boolean> {
    if (toErrorData(err).kind === 'docker_unavailable') return true
    return isDockerConnectionError(err) && (await this.watch.check()) === 'down'
  }

  /** The tasks whose turn runs on this engine now. */
  private runsHere(): string[] {
    const here = (engine: string | undefined): boolean => (engine ?? LOCAL_ENGINE) === this.engine
    return [...this.deps.runner.runs].filter(([, run]) => here(run.engine)).map(([id]) => id)
  }

  private gone(): void {
    this.deps.queue.pause(this.engine)
    for (const id of this.runsHere()) void this.deps.runner.stop(id, dockerGone())
  }

  private async back(): Promise<void> {
    const running = new Set(this.deps.runner.runs.keys())
    await removeTaskContainers(this.deps.docker, {
      keep: (taskId) => !this.deps.store.has(taskId) || running.has(taskId),
    }).catch(() => undefined)
    if (this.watch.state === 'up') this.deps.queue.resume(this.engine)
  }
}
