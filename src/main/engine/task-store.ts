import { existsSync, readFileSync } from 'node:fs'
import { mkdir, open, readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { TaskEvent, TaskEventBody } from '../../shared/events'
import type { DownloadName } from '../../shared/contract'
import type { TaskRecord } from '../../shared/task'
import { AppError } from '../errors'
import { diskFullError, isDiskFull, registerDataDir } from '../util/disk-full'
import { renameWithRetry } from '../util/fs'
import { LineAppender } from '../util/line-appender'

/** Where one task keeps its things, all under `<dataDir>/tasks/<id>/`. */
export interface TaskPaths {
  dir: string
  record: string
  events: string
  /** The copy of the user's code the container sees at /workspace. */
  workspace: string
  /** The sandbox's HOME (mounted at /home/agent): what setup installs there lasts for the task. */
  home: string
  /** The private git directory holding the baseline: never mounted into the container. */
  gitDir: string
  /** For git sources: the clone's own git directory (shallow), kept to publish a branch on top of it. */
  upstream: string
  artifacts: string
}

/** The artifacts a user opens, the conversation kept for follow-ups, and the last turn's diff. */
export type StoredArtifact = DownloadName | 'conversation.json' | 'diff.json' | 'codex-thread.txt'

/** How often writes a full disk refused are tried again. */
const RETRY_MS = 1000

/**
 * Persists tasks: a record written atomically, events appended as JSON lines, artifacts beside them.
 * Records are cached in memory; events are read from disk on demand.
 *
 * A full disk never breaks the store: a record it cannot save stays in memory (the truth) and is saved
 * once there is space; an event or log line it cannot append is kept in memory, readable, and appended in
 * order later (appends never throw). `onWriteFailure` hears of the first refused write of each task.
 */
export class TaskStore {
  private readonly records = new Map<string, TaskRecord>()
  private readonly nextSeq = new Map<string, number>()
  /** Record writes of one task, in order: a later state never lands before an earlier one. */
  private readonly writes = new Map<string, Promise<void>>()
  private readonly lines = new LineAppender((path) => path.endsWith('.jsonl'))
  /** Tasks with a write the disk refused that is not done yet (a record, event or log line). */
  private readonly unsaved = new Set<string>()
  /** Tasks whose refused writes onWriteFailure was told of (again once they have all landed). */
  private readonly told = new Set<string>()
  private retryTimer?: NodeJS.Timeout

  /** Told of every record created or changed, once it is in memory. */
  onChange?: (task: TaskRecord) => void
  /** Told once per task when the disk starts refusing its writes (the error says which disk, how full). */
  onWriteFailure?: (id: string, error: AppError) => void

  private constructor(private readonly root: string) {}

  static async open(dataDir: string): Promise<TaskStore> {
    registerDataDir(dataDir)
    const store = new TaskStore(join(dataDir, 'tasks'))
    await mkdir(store.root, { recursive: true })
    for (const id of await readdir(store.root)) {
      await removeStaleTemps(join(store.root, id))
      const record = await readRecord(join(store.root, id, 'task.json'))
      if (record) store.records.set(record.id, record)
    }
    return store
  }

  paths(id: string): TaskPaths {
    const dir = join(this.root, id)
    return {
      dir,
      record: join(dir, 'task.json'),
      events: join(dir, 'events.jsonl'),
      workspace: join(dir, 'workspace'),
      home: join(dir, 'home'),
      gitDir: join(dir, 'git'),
      upstream: join(dir, 'upstream.git'),
      artifacts: join(dir, 'artifacts'),
    }
  }

  has(id: string): boolean {
    return this.records.has(id)
  }

  get(id: string): TaskRecord {
    const record = this.records.get(id)
    if (!record) throw new AppError('not_found', `There is no task ${id}.`)
    return record
  }

  /** Newest first. */
  list(): TaskRecord[] {
    return [...this.records.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  }

  async create(record: TaskRecord): Promise<void> {
    const paths = this.paths(record.id)
    await mkdir(paths.artifacts, { recursive: true })
    await writeAtomic(paths.record, JSON.stringify(record, null, 2))
    this.records.set(record.id, record)
    this.onChange?.(record)
  }

  async update(id: string, patch: Partial<TaskRecord>): Promise<TaskRecord> {
    const next: TaskRecord = { ...this.get(id), ...patch, updatedAt: new Date().toISOString() }
    this.records.set(id, next)
    this.onChange?.(next)
    await this.persist(id)
    return next
  }

  /** Resolves once every record write started so far has ended (TaskEngine.close waits for them). */
  async writesSettled(): Promise<void> {
    await Promise.all([...this.writes.values()].map((write) => write.catch(() => undefined)))
  }

  /** Saves the record as it is in memory; on a full disk it stays unsaved (retried), and this resolves. */
  private persist(id: string): Promise<void> {
    const write = (this.writes.get(id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => writeAtomic(this.paths(id).record, JSON.stringify(this.get(id), null, 2)))
      .catch((err: unknown) => {
        if (!isDiskFull(err)) throw err
        this.refused(id, err)
      })
    this.writes.set(id, write)
    return write
  }

  /**
   * Appends an event (synchronously, so events keep their order) and returns it with its sequence number.
   * Never throws: an event the disk refuses is kept (readable) and written later, in order.
   */
  appendEvent(id: string, body: TaskEventBody): TaskEvent {
    const seq = this.seqFor(id)
    const event = { ...body, taskId: id, seq, at: new Date().toISOString() } as TaskEvent
    this.nextSeq.set(id, seq + 1)
    this.appendLine(id, this.paths(id).events, JSON.stringify(event) + '\n')
    return event
  }

  async readEvents(id: string, afterSeq = -1): Promise<TaskEvent[]> {
    this.get(id)
    const path = this.paths(id).events
    const text = await readFile(path, 'utf8').catch(() => '')
    const stored = parseEvents(text)
    const last = stored.at(-1)?.seq ?? -1
    // Events the disk refused so far, after the ones it holds (a flush may have landed meanwhile).
    const waiting = parseEvents(this.lines.pendingText(path)).filter((e) => e.seq > last)
    return [...stored, ...waiting].filter((e) => e.seq > afterSeq)
  }

  /** Whether every write of the task has reached the disk (false while a full disk holds some back). */
  isSaved(id: string): boolean {
    return !this.unsaved.has(id)
  }

  artifactPath(id: string, name: StoredArtifact): string {
    return join(this.paths(id).artifacts, name)
  }

  async writeArtifact(id: string, name: StoredArtifact, content: string | Buffer): Promise<void> {
    await writeAtomic(this.artifactPath(id, name), content)
  }

  /** Appends to a log artifact; never throws (see appendEvent). */
  appendArtifact(id: string, name: StoredArtifact, text: string): void {
    this.appendLine(id, this.artifactPath(id, name), text)
  }

  private appendLine(id: string, path: string, text: string): void {
    const result = this.lines.append(path, text)
    if (!result.ok) this.refused(id, result.error)
  }

  /** A write of `id` the disk refused: told once, and tried again until it lands. */
  private refused(id: string, err: unknown): void {
    this.unsaved.add(id)
    this.retryTimer ??= setInterval(() => void this.retryRefused(), RETRY_MS).unref()
    if (this.told.has(id)) return
    this.told.add(id)
    this.onWriteFailure?.(id, isDiskFull(err) ? diskFullError(this.root, err) : toAppError(err))
  }

  /** Writes again what a full disk refused: records, then pending lines (a task leaves once all landed). */
  private async retryRefused(): Promise<void> {
    for (const id of [...this.unsaved]) {
      this.unsaved.delete(id)
      if (!this.records.has(id)) continue // deleted meanwhile
      // A full disk again re-adds it (persist); another failure is not the disk's and is not retried.
      await this.persist(id).catch(() => undefined)
      const paths = this.paths(id)
      for (const path of [
        paths.events,
        this.artifactPath(id, 'agent.log'),
        this.artifactPath(id, 'setup.log'),
      ]) {
        if (!this.lines.flush(path).ok) this.unsaved.add(id)
      }
      this.reportDropped(id)
      if (!this.unsaved.has(id)) this.told.delete(id)
    }
    if (this.unsaved.size === 0 && this.retryTimer) {
      clearInterval(this.retryTimer)
      this.retryTimer = undefined
    }
  }

  /** Events too many to keep in memory while the disk was full are said, once they could not be kept. */
  private reportDropped(id: string): void {
    const dropped = this.lines.takeDropped(this.paths(id).events)
    if (!dropped) return
    const text = `While the disk was full, ${dropped} events of this task could not be kept.\n`
    this.appendEvent(id, { type: 'log', stream: 'system', text })
  }

  async readArtifact(id: string, name: StoredArtifact): Promise<string | undefined> {
    this.get(id)
    return readFile(this.artifactPath(id, name), 'utf8').catch(() => undefined)
  }

  private seqFor(id: string): number {
    const known = this.nextSeq.get(id)
    if (known !== undefined) return known
    const path = this.paths(id).events
    const events = existsSync(path) ? parseEvents(readFileSync(path, 'utf8')) : []
    return (events.at(-1)?.seq ?? -1) + 1
  }
}

function parseEvents(text: string): TaskEvent[] {
  const events: TaskEvent[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    try {
      events.push(JSON.parse(line) as TaskEvent)
    } catch {
      // A line cut short by a crash mid-append: everything before it is intact.
    }
  }
  return events
}

async function readRecord(path: string): Promise<TaskRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as TaskRecord
  } catch {
    return undefined // not a task directory, or a record that never finished its first write
  }
}

const TEMP_SUFFIX = '.tmp'

/**
 * Write to a temporary file beside the target, flush it to the disk, and rename it over the target:
 * readers (and a restart after a crash or power loss) see the old content or the new, never half. A full
 * disk leaves the old content and no temporary file, and throws the disk-full error.
 */
export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}${TEMP_SUFFIX}`
  try {
    const file = await open(temp, 'w')
    try {
      await file.writeFile(content)
      await file.sync()
    } finally {
      await file.close()
    }
    await renameWithRetry(temp, path)
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined)
    throw isDiskFull(err) ? diskFullError(path, err) : err
  }
}

/** Files of writes a crash cut off (task.json.<pid>.<random>.tmp, .<uuid>.zip.partial): never read, removed. */
const STALE_TEMP = /\.\d+\.[a-z0-9]+\.tmp$|^\.[0-9a-f-]{36}\.zip\.partial$/

async function removeStaleTemps(taskDir: string): Promise<void> {
  for (const dir of [taskDir, join(taskDir, 'artifacts')]) {
    const names = await readdir(dir).catch(() => [] as string[])
    for (const name of names.filter((n) => STALE_TEMP.test(n))) {
      await rm(join(dir, name), { force: true }).catch(() => undefined)
    }
  }
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err
  return new AppError('internal', err instanceof Error ? err.message : String(err), { cause: err })
}
