import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TaskEvent, TaskEventBody } from '../../shared/events'
import type { DownloadName } from '../../shared/contract'
import type { TaskRecord } from '../../shared/task'
import { AppError } from '../errors'
import { renameWithRetry } from '../util/fs'

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

/**
 * Persists tasks: a record written atomically, events appended as JSON lines, artifacts beside them.
 * Records are cached in memory; events are read from disk on demand.
 */
export class TaskStore {
  private readonly records = new Map<string, TaskRecord>()
  private readonly nextSeq = new Map<string, number>()
  /** Record writes of one task, in order: a later state never lands before an earlier one. */
  private readonly writes = new Map<string, Promise<void>>()

  /** Told of every record created or changed, once it is in memory. */
  onChange?: (task: TaskRecord) => void

  private constructor(private readonly root: string) {}

  static async open(dataDir: string): Promise<TaskStore> {
    const store = new TaskStore(join(dataDir, 'tasks'))
    await mkdir(store.root, { recursive: true })
    for (const id of await readdir(store.root)) {
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

  private persist(id: string): Promise<void> {
    const write = (this.writes.get(id) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => writeAtomic(this.paths(id).record, JSON.stringify(this.get(id), null, 2)))
    this.writes.set(id, write)
    return write
  }

  /** Appends an event (synchronously, so events keep their order) and returns it with its sequence number. */
  appendEvent(id: string, body: TaskEventBody): TaskEvent {
    const seq = this.seqFor(id)
    const event = { ...body, taskId: id, seq, at: new Date().toISOString() } as TaskEvent
    appendFileSync(this.paths(id).events, JSON.stringify(event) + '\n')
    this.nextSeq.set(id, seq + 1)
    return event
  }

  async readEvents(id: string, afterSeq = -1): Promise<TaskEvent[]> {
    this.get(id)
    const text = await readFile(this.paths(id).events, 'utf8').catch(() => '')
    return parseEvents(text).filter((e) => e.seq > afterSeq)
  }

  artifactPath(id: string, name: StoredArtifact): string {
    return join(this.paths(id).artifacts, name)
  }

  async writeArtifact(id: string, name: StoredArtifact, content: string | Buffer): Promise<void> {
    await writeAtomic(this.artifactPath(id, name), content)
  }

  appendArtifact(id: string, name: StoredArtifact, text: string): void {
    appendFileSync(this.artifactPath(id, name), text)
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

/** Write to a temporary file and rename it over the target: readers see the old or the new, never half. */
export async function writeAtomic(path: string, content: string | Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(temp, content)
  await renameWithRetry(temp, path)
}
