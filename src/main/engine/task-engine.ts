import type { ArtifactName } from '../../shared/contract'
import type { DiffResult } from '../../shared/diff'
import type { HunkExclusion } from '../../shared/review'
import type { TaskEvent, TaskEventBody } from '../../shared/events'
import { hostPatternSchema } from '../../shared/network'
import type { EngineConfig, EngineStatus } from '../../shared/engines'
import type { Settings, SetupCacheUsage } from '../../shared/settings'
import {
  isSettled,
  submitTaskInputSchema,
  type SubmitTaskInput,
  type TaskOutcome,
  type TaskRecord,
} from '../../shared/task'
import { createDockerClient, createRemoteDockerClient } from '../docker/client'
import { imageRegistry } from '../docker/image'
import { AppError } from '../errors'
import { computeDiff } from '../git/diff'
import { validateBranch, validateGitUrl } from '../git/url-policy'
import { saveDiffSnapshot } from './diff-snapshot'
import type { DockerRestarts } from './docker-restarts'
import { EnginePool, engineMissing, type EngineSlot } from './engine-pool'
import { formatLogLine } from './agent-log'
import { publish, type PublishRequest } from './publish'
import { saveWorkspaceFile } from './workspace-edit'
import { AgentImage } from './agent-image'
import { HostEnvironment } from './host-environment'
import { newTaskRecord } from './new-task'
import { recoverTasks } from './recovery'
import { clearSetupCache, setupCacheRoot, setupCacheUsage } from './setup-cache'
import { spareCopiesSettled } from './setup-cache-spare'
import { volumeRemovalsSettled } from './workspace-copy'
import { prepareResume } from './resume'
import type { TurnPlan } from './resume-plan'
import { ReviewService } from './review-service'
import { WorkspaceGate } from './workspace-gate'
import { TaskQueue, type EngineLoad } from './task-queue'
import { TaskStore } from './task-store'
import { TaskRunner, type TurnEngine } from './task-run'
import type { DockerClient } from './task-turn'

export interface EngineOptions {
  dataDir: string
  settings: () => Settings
  /** The model API key, from the keychain or the environment. Never stored by the engine. */
  apiKey: () => Promise<string | undefined>
  githubToken?: () => Promise<string | undefined>
  /** Where the agent image's Dockerfile lives, and the base image it builds on. */
  agentImage: { contextDir: string; baseImage: string }
  docker?: DockerClient
  /** A client for a remote engine of Settings → Engines (default: over TLS or SSH as it says; tests). */
  connectEngine?: (config: EngineConfig) => DockerClient
  /** Prefix of new task ids (tests use it to find their containers). */
  idPrefix?: string
  /** How often a running container's workspace size is checked (default 10 s). */
  workspaceCheckMs?: number
}

type Listener = (event: TaskEvent) => void
type RecordListener = (task: TaskRecord) => void

/**
 * The task engine: submit, watch, cancel and follow up tasks. Plain Node, no Electron: the desktop app,
 * the headless server and the command line all drive this one class.
 */
export class TaskEngine {
  private readonly listeners = new Set<Listener>()
  private readonly recordListeners = new Set<RecordListener>()
  /** The turns running now (task-run.ts). */
  private readonly runner: TaskRunner
  private readonly publishing = new Map<string, Promise<TaskOutcome>>()
  private readonly queue: TaskQueue
  /** Host access to each task's workspace: never while one of its containers is alive. */
  private readonly workspace = new WorkspaceGate((id) => this.runner.hasSandbox(id))
  private readonly host: HostEnvironment
  readonly docker: DockerClient
  /** The engines tasks run on: the local one, then Settings → Engines (engine-pool.ts). */
  readonly engines: EnginePool
  /** The local engine's agent image (Settings' image panel, `system.buildImage`). */
  readonly image: AgentImage
  /** The local Docker going away and coming back (docker-restarts.ts); the UI's Docker indicator listens to it. */
  readonly dockerRestarts: DockerRestarts
  /** The review: exclusions, comments, discards, "Request changes", each turn's diff. */
  readonly review: ReviewService

  private constructor(
    private readonly opts: EngineOptions,
    readonly store: TaskStore,
  ) {
    this.queue = new TaskQueue(opts.settings().maxConcurrentTasks)
    this.docker = opts.docker ?? createDockerClient({ host: opts.settings().docker.host })
    this.host = new HostEnvironment(opts.dataDir, opts.settings, this.docker)
    const hostCa = async (): Promise<string> => (await this.host.hostTrust()).pem
    this.runner = new TaskRunner({
      ...opts,
      store,
      host: this.host,
      workspace: this.workspace,
      engineFor: (engine) => this.turnEngine(this.engines.get(engine)),
      emit: (id, body) => this.emit(id, body),
    })
    this.engines = new EnginePool({
      settings: opts.settings,
      queue: this.queue,
      localDocker: this.docker,
      connect: (config) => opts.connectEngine?.(config) ?? createRemoteDockerClient(config),
      image: (docker, local) =>
        new AgentImage(docker, opts.agentImage, hostCa, () => imageRegistry(opts.settings()), local),
      localTransport: () => this.host.proxyTransport(),
      restarts: { store, runner: this.runner },
    })
    this.image = this.engines.local.image
    this.dockerRestarts = this.engines.local.restarts
    this.review = new ReviewService({
      store,
      workspace: this.workspace,
      followUp: (id, prompt) => this.followUp(id, prompt),
      emit: (id, body) => this.emit(id, body),
    })
    store.onChange = (task) => {
      for (const listener of this.recordListeners) listener(task)
    }
    // A write the disk refused (it is full) ends the task's turn at once, with the disk-full error.
    store.onWriteFailure = (id, error) => void this.runner.stop(id, error)
  }

  /**
   * Opens the data directory: tasks that were running when the engine last stopped are marked
   * `interrupted` and their containers removed; queued tasks are queued again, in order.
   */
  static async open(opts: EngineOptions): Promise<TaskEngine> {
    const engine = new TaskEngine(opts, await TaskStore.open(opts.dataDir))
    await engine.recover()
    return engine
  }

  private recover(): Promise<void> {
    return recoverTasks({
      store: this.store,
      docker: this.docker,
      schedule: (id, plan) => this.schedule(id, plan),
      interrupt: (id, message, hint) => this.markInterrupted(id, message, hint),
    })
  }

  private markInterrupted(id: string, message: string, hint: string): Promise<void> {
    return this.runner.markInterrupted(id, message, hint)
  }

  async submit(input: SubmitTaskInput): Promise<TaskRecord> {
    const parsed = submitTaskInputSchema.safeParse(input)
    if (!parsed.success) {
      throw new AppError(
        'invalid_input',
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      )
    }
    const settings = this.opts.settings()
    const value = parsed.data
    // A hostile or mistyped Git URL (credentials in it, a remote helper, an option) is refused before
    // anything is stored: the task record would otherwise keep what the URL carried.
    if (value.source.kind === 'git') {
      validateGitUrl(value.source.url, { allowLocalHttp: settings.allowLocalHttpGit })
      if (value.source.branch) validateBranch(value.source.branch)
    }
    if (value.engine && !this.engines.has(value.engine)) {
      throw new AppError('invalid_input', `There is no engine “${value.engine}” in Settings → Engines.`)
    }
    const task = newTaskRecord(value, settings, this.opts.idPrefix)
    await this.store.create(task)
    this.emit(task.id, { type: 'status', status: 'queued' })
    this.schedule(task.id, { kind: 'first' })
    return task
  }

  /** Another instruction on the same workspace: a new turn whose diff is still against the original. */
  async followUp(id: string, prompt: string): Promise<TaskRecord> {
    const task = this.store.get(id)
    if (!prompt.trim()) throw new AppError('invalid_input', 'Say what the follow-up should do.')
    if (task.status !== 'review') {
      throw new AppError('conflict', `A follow-up needs a task in review; this one is ${task.status}.`)
    }
    // Kept on the record until the turn ends: a restart runs it as a follow-up, never as a new import.
    const next = await this.store.update(id, {
      status: 'queued',
      error: undefined,
      finishedAt: undefined,
      pendingFollowUp: prompt.trim(),
    })
    this.emit(id, { type: 'status', status: 'queued', message: 'Follow-up' })
    this.schedule(id, { kind: 'followUp', prompt: prompt.trim() })
    return next
  }

  /** Goes on with a task cut off from outside (resumeCheck): same workspace, the conversation so far. */
  async resume(id: string): Promise<TaskRecord> {
    const next = await prepareResume(this.store, id, this.runner.runs.has(id))
    this.emit(id, { type: 'status', status: 'queued', message: 'Resume' })
    this.schedule(id, { kind: 'resume' })
    return next
  }

  get(id: string): TaskRecord {
    return this.store.get(id)
  }

  list(): TaskRecord[] {
    return this.store.list()
  }

  events(id: string, afterSeq?: number): Promise<TaskEvent[]> {
    return this.store.readEvents(id, afterSeq)
  }

  /** The whole task's diff, or one turn's own (see ReviewService.diff). */
  diff(id: string, turn?: number): Promise<DiffResult> {
    return this.review.diff(id, turn)
  }

  /** An artifact's text (agent.log, setup.log, diff.patch, prompt.md, summary.md), if written yet. */
  artifact(id: string, name: ArtifactName): Promise<string | undefined> {
    return this.store.readArtifact(id, name)
  }

  /**
   * Lets the task reach `pattern` (a host pattern) from now on, in every phase: the running phase's proxy
   * reads the task's allowed hosts on each request, and the agent is told before its next step.
   */
  async allowHost(id: string, pattern: string): Promise<TaskRecord> {
    const parsed = hostPatternSchema.safeParse(pattern)
    if (!parsed.success) {
      throw new AppError('invalid_input', `"${pattern}" is not a host pattern.`, {
        hint: 'Give a name such as registry.example.org, *.example.org or example.org:8443.',
      })
    }
    const task = this.store.get(id)
    const allowed = [...new Set([...(task.allowedHosts ?? []), parsed.data])].sort()
    const next = await this.store.update(id, { allowedHosts: allowed })
    this.runner.runs.get(id)?.notes.allowed(parsed.data)
    this.emit(id, { type: 'log', stream: 'system', text: `Allowed for this task: ${parsed.data}\n` })
    return next
  }

  /** Records which changed files (and hunks or lines) the user left out of what gets published. */
  setExcluded(id: string, paths: string[], hunks?: HunkExclusion[]): Promise<TaskRecord> {
    return this.review.setExcluded(id, paths, hunks)
  }

  /** Saves an edit of a changed file into the workspace (task in review); the diff summary follows. */
  async saveFile(id: string, path: string, content: string): Promise<TaskRecord> {
    const task = this.store.get(id)
    if (task.status !== 'review' || !task.baselineCommit) {
      throw new AppError(
        'conflict',
        `Files can be edited while the task is in review; this one is ${task.status}.`,
      )
    }
    const baseline = task.baselineCommit
    const summary = await this.workspace.idleOrConflict(id, 'Saving an edit', async () => {
      const paths = this.store.paths(id)
      await saveWorkspaceFile(paths.workspace, path, content)
      const diff = await computeDiff({ workspace: paths.workspace, gitDir: paths.gitDir, baseline })
      return saveDiffSnapshot(this.store, id, diff)
    })
    return this.store.update(id, { diff: summary })
  }

  /** Publishes a reviewed change (one at a time per task), records the outcome; `token`: for this call only. */
  async publish(input: PublishRequest, token?: string): Promise<TaskOutcome> {
    const busy = this.publishing.get(input.id)
    if (busy) throw new AppError('conflict', 'This task is already being published; wait for it to finish.')
    const run = (async () => {
      const githubToken = token ?? (await this.opts.githubToken?.())
      const outcome = await this.workspace.idleOrConflict(input.id, 'Publishing', () =>
        publish(input, { store: this.store, settings: this.opts.settings(), githubToken }),
      )
      const task = this.store.get(input.id)
      await this.store.update(input.id, { outcomes: [...(task.outcomes ?? []), outcome] })
      this.emit(input.id, { type: 'outcome', outcome })
      return outcome
    })()
    this.publishing.set(input.id, run)
    try {
      return await run
    } finally {
      this.publishing.delete(input.id)
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Told of each task record as it changes (status, usage, diff): for task lists. */
  subscribeRecords(listener: RecordListener): () => void {
    this.recordListeners.add(listener)
    return () => this.recordListeners.delete(listener)
  }

  /** Stops a task: a queued one never starts, a running one has its container killed. */
  async cancel(id: string): Promise<TaskRecord> {
    const task = this.store.get(id)
    if (isSettled(task.status)) return task
    if (this.queue.withdraw(id)) {
      await this.store.update(id, { status: 'cancelled', finishedAt: new Date().toISOString() })
      this.emit(id, { type: 'status', status: 'cancelled' })
      return this.store.get(id)
    }
    await this.runner.stop(id, new AppError('cancelled', 'The task was cancelled.'))
    return this.store.get(id)
  }

  /** Cancels every running task and waits for their containers to go. */
  async close(): Promise<void> {
    this.engines.close()
    for (const id of this.queue.waitingIds) this.queue.withdraw(id)
    await Promise.all(
      [...this.runner.runs.keys()].map((id) =>
        this.runner.stop(id, new AppError('cancelled', 'codex-sys is closing.')),
      ),
    )
    // The setup cache's spares being copied: whole, or the next restore copies instead. Copy mode's
    // volumes being removed: none is left on the engine. And the records being written (a queued task
    // failed by settingsChanged is settled off its caller's path).
    await Promise.all([spareCopiesSettled(), volumeRemovalsSettled(), this.store.writesSettled()])
  }

  /** How many setups are saved, and their size (Settings → Setup cache). */
  setupCacheUsage(): Promise<SetupCacheUsage> {
    return setupCacheUsage(setupCacheRoot(this.opts.dataDir))
  }

  /** Removes every saved setup (Settings → Clear setup cache); the next task on each repository runs setup. */
  async clearSetupCache(): Promise<{ entries: number }> {
    return { entries: await clearSetupCache(setupCacheRoot(this.opts.dataDir)) }
  }

  /** Applies saved settings at once: a raised (or lowered) concurrency limit holds for the waiting tasks now. */
  settingsChanged(): void {
    this.engines.sync()
    for (const id of this.queue.withdrawStranded()) {
      void this.runner.settleFailure(id, engineMissing(this.store.get(id).engine ?? ''))
    }
  }

  /** Each engine's slots and the tasks on it now. */
  engineLoad(): EngineLoad[] {
    return this.queue.load()
  }

  /** Every engine, whether it answers and its load (Settings → Engines, the Docker screen). */
  engineStatus(): Promise<EngineStatus[]> {
    return this.engines.status(this.queue.load())
  }

  /** Queues a turn: on the engine the task is on (or was pinned to at submit), else whichever has room. */
  private schedule(id: string, plan: TurnPlan): void {
    this.settingsChanged()
    const pinned = this.store.get(id).engine
    if (pinned && !this.engines.has(pinned)) {
      void this.runner.settleFailure(id, engineMissing(pinned))
      return
    }
    this.queue.enqueue(id, (engine) => this.runner.execute(id, plan, engine), pinned)
  }

  private turnEngine(slot: EngineSlot): TurnEngine {
    return {
      docker: slot.docker,
      ensureImage: async (onProgress, variant) => {
        const stop = slot.image.onProgress(({ line, ratio }) => onProgress(line, ratio))
        try {
          return await slot.image.ensure(variant)
        } finally {
          stop()
        }
      },
      proxyTransport: () => slot.proxyTransport(),
      workspaceMode: () => slot.workspaceMode(),
      dockerGone: (err) => slot.restarts.interruption(err),
    }
  }

  private emit(id: string, body: TaskEventBody): void {
    const event = this.store.appendEvent(id, body)
    const line = formatLogLine(event)
    if (line) this.store.appendArtifact(id, 'agent.log', line)
    for (const listener of this.listeners) listener(event)
  }
}
