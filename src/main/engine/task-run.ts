import type { TaskEventBody } from '../../shared/events'
import type { Settings } from '../../shared/settings'
import type { AppErrorData, ErrorKind } from '../../shared/errors'
import { resumeCheck, type TaskRecord, type TaskStatus } from '../../shared/task'
import type { ProxyTransport, Sandbox } from '../docker/sandbox'
import { AppError, toErrorData } from '../errors'
import type { HostEnvironment } from './host-environment'
import { NetworkNotes } from './network-notes'
import { LOCAL_ENGINE } from '../../shared/engines'
import type { TaskStore } from './task-store'
import { runTurn, type DockerClient, type TurnPlan } from './task-turn'
import type { WorkspaceGate } from './workspace-gate'

/** What a running task needs so that it can be stopped from outside. */
export interface ActiveRun {
  controller: AbortController
  sandbox?: Sandbox
  timer?: NodeJS.Timeout
  /** What the agent is told about the network (blocked requests, hosts the user allowed). */
  notes: NetworkNotes
  /** The engine the turn runs on (EnginePool); unset: the local one. */
  engine?: string
}

/** What a turn uses of the Docker engine it runs on (engine-pool.ts). */
export interface TurnEngine {
  docker: DockerClient
  /** The agent image's tag on this engine, made there first if missing; with a variant, that runtime's. */
  ensureImage: (onProgress: (line: string, ratio?: number) => void, variant?: 'codex') => Promise<string>
  proxyTransport: () => Promise<ProxyTransport>
  /** How the workspace reaches this engine's containers (asked at each turn's start). */
  workspaceMode: () => Promise<'mount' | 'copy'>
  /** When a failure means this engine went away: the error the task ends `interrupted` with (docker-restarts.ts). */
  dockerGone?: (err: unknown) => Promise<AppErrorData | undefined>
}

/** What of the engine a run uses. */
export interface RunnerDeps {
  store: TaskStore
  /** The engine of that id; throws when Settings no longer have it. */
  engineFor: (engine: string) => TurnEngine
  /** The host's CA bundle, for every container. */
  host: Pick<HostEnvironment, 'hostTrust'>
  workspace: WorkspaceGate
  settings: () => Settings
  apiKey: () => Promise<string | undefined>
  githubToken?: () => Promise<string | undefined>
  workspaceCheckMs?: number
  emit: (id: string, body: TaskEventBody) => void
}

/**
 * The turns that run now: each one's abort controller, container and network notes; how a turn is started
 * (its time limit, the API key), stopped (cancel, the time limit, close) and how its end is recorded when it
 * fails or is cut off.
 */
export class TaskRunner {
  readonly runs = new Map<string, ActiveRun>()

  constructor(private readonly deps: RunnerDeps) {}

  /** The turn of `id` has a container alive now. */
  hasSandbox(id: string): boolean {
    return Boolean(this.runs.get(id)?.sandbox)
  }

  async stop(id: string, reason: AppError): Promise<void> {
    const run = this.runs.get(id)
    if (!run) return
    run.controller.abort(reason)
    await run.sandbox?.kill().catch(() => undefined)
    await new Promise<void>((resolve) => {
      const check = (): void => (this.runs.has(id) ? void setTimeout(check, 20) : resolve())
      check()
    })
  }

  /** Runs one turn of the task on `engine`, then records how it failed if it did; never throws. */
  async execute(id: string, plan: TurnPlan, engine = LOCAL_ENGINE): Promise<void> {
    const run: ActiveRun = { controller: new AbortController(), notes: new NetworkNotes(), engine }
    this.runs.set(id, run)
    const task = this.deps.store.get(id)
    // The time limit holds for each turn: a follow-up (or a resume) gets the same budget as the first run.
    const deadline = Date.now() + task.limits.timeLimitMs
    run.timer = setTimeout(() => void this.stop(id, timeLimitError(task)), task.limits.timeLimitMs)
    try {
      // Kept on the record from its first turn on: later turns (follow-ups, resumes) stay on this engine.
      if (task.engine !== engine) await this.deps.store.update(id, { engine })
      await runTurn(id, plan, await this.turnDeps(id, run, deadline))
    } catch (err) {
      await this.settleFailure(id, run.controller.signal.aborted ? run.controller.signal.reason : err, engine)
    } finally {
      clearTimeout(run.timer)
      await run.sandbox?.remove().catch(() => undefined)
      this.runs.delete(id)
    }
  }

  private async turnDeps(
    id: string,
    run: ActiveRun,
    deadline: number,
  ): Promise<Parameters<typeof runTurn>[2]> {
    const { deps } = this
    const engine = deps.engineFor(run.engine ?? LOCAL_ENGINE)
    // A lookup that hangs (a locked keychain) gives way to a cancel or the time limit.
    const untilStopped = <T>(lookup: Promise<T>): Promise<T> => whileRunning(lookup, run.controller.signal)
    const apiKey = await untilStopped(deps.apiKey())
    if (!apiKey) {
      throw new AppError('auth_failed', 'No model API key is set.', {
        hint: 'Add your API key in Settings (or set OPENAI_API_KEY for the command line).',
      })
    }
    return {
      store: deps.store,
      settings: deps.settings(),
      docker: engine.docker,
      ensureImage: engine.ensureImage,
      apiKey,
      baseURL: deps.settings().baseUrl,
      githubToken: await untilStopped(deps.githubToken?.() ?? Promise.resolve(undefined)),
      emit: (body) => deps.emit(id, body),
      signal: run.controller.signal,
      deadline,
      onSandbox: (sandbox) => {
        run.sandbox = sandbox
      },
      stop: (reason) => void this.stop(id, reason),
      notes: run.notes,
      caBundlePath: (await untilStopped(deps.host.hostTrust())).path,
      proxyTransport: engine.proxyTransport,
      workspaceMode: await untilStopped(engine.workspaceMode()),
      exclusive: (fn) => deps.workspace.exclusive(id, fn),
      workspaceCheckMs: deps.workspaceCheckMs,
    }
  }

  /**
   * A turn that failed or was stopped: cancelled, interrupted (stopped with an `interrupted` error: Docker
   * went away), or failed with its error. A failure from outside the task keeps its pending follow-up, so
   * that a resume runs it.
   */
  async settleFailure(id: string, err: unknown, engine?: string): Promise<void> {
    const dockerGone = engine ? await this.dockerGone(engine, err) : undefined
    const error = dockerGone ?? toErrorData(err)
    const status = dockerGone ? 'interrupted' : (STATUS_OF_KIND[error.kind] ?? 'failed')
    await this.settle(id, { status, error: status === 'cancelled' ? undefined : error })
    if (status !== 'cancelled') this.deps.emit(id, { type: 'error', error })
    this.deps.emit(id, { type: 'status', status, message: error.message })
  }

  /** Whether `err` means `engine` went away (an engine no longer in Settings: not that). */
  private async dockerGone(engine: string, err: unknown): Promise<AppErrorData | undefined> {
    let turnEngine: TurnEngine
    try {
      turnEngine = this.deps.engineFor(engine)
    } catch {
      return undefined
    }
    return turnEngine.dockerGone?.(err)
  }

  /** A task whose turn was cut off from outside (the app stopped, Docker went away): resumable. */
  async markInterrupted(id: string, message: string, hint: string): Promise<void> {
    const error = new AppError('interrupted', message, { hint }).toData()
    await this.settle(id, { status: 'interrupted', error })
    this.deps.emit(id, { type: 'error', error })
    this.deps.emit(id, { type: 'status', status: 'interrupted' })
  }

  /** Records the end; a turn that cannot be resumed drops its pending follow-up (nothing will run it). */
  private settle(id: string, patch: Pick<TaskRecord, 'status' | 'error'>): Promise<TaskRecord> {
    const resumable = resumeCheck({ ...this.deps.store.get(id), ...patch }).ok
    return this.deps.store.update(id, {
      ...patch,
      resumable,
      pendingResume: undefined,
      ...(resumable ? {} : { pendingFollowUp: undefined }),
      finishedAt: new Date().toISOString(),
    })
  }
}

const STATUS_OF_KIND: Partial<Record<ErrorKind, TaskStatus>> = {
  cancelled: 'cancelled',
  interrupted: 'interrupted',
}

/** `lookup`, or the stop's reason as soon as the run is stopped. */
function whileRunning<T>(lookup: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    lookup.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** "2 min", or seconds for a limit under a minute (the settings allow 1 s). */
export function limitWords(ms: number): string {
  return ms < 60_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`
}

function timeLimitError(task: TaskRecord): AppError {
  return new AppError('timeout', `The task hit its time limit (${limitWords(task.limits.timeLimitMs)}).`, {
    hint: 'Give the task a longer time limit in its options or in Settings, or narrow it down.',
  })
}
