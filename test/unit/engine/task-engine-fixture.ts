import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import { agentImageDir } from '../../../src/main/cli/paths'
import { createDockerClient } from '../../../src/main/docker/client'
import { createHandlers, type Handlers } from '../../../src/main/engine/handlers'
import { TaskEngine, type EngineOptions } from '../../../src/main/engine/task-engine'
import type { SettingsStore } from '../../../src/main/services'
import type { TaskEvent } from '../../../src/shared/events'
import type { SettingsInput } from '../../../src/shared/settings'
import type { TaskRecord } from '../../../src/shared/task'
import { idleSystem } from '../../support/secret-handlers'
import { memorySecrets, memorySettings } from '../../support/services'
import { tempDir } from '../../support/tmp'

/**
 * The engine's test bench without Docker: a real TaskEngine on a temporary data dir whose Docker client
 * aims at a socket that does not exist, whose model key and GitHub token come through gates the test
 * opens. A task whose key is asked for is held there (the queue counts it as running) until released.
 */

/** Answers handed out one call at a time: each call waits until the test releases it. */
export class Gate {
  private readonly pending: Array<(value: string | undefined) => void> = []
  private readonly waiters: Array<() => void> = []
  /** How many times the gated function was called so far. */
  calls = 0
  /** Set by `open`: every call (waiting or to come) is answered at once. */
  private opened: { value: string | undefined } | undefined

  /** The gated function, for EngineOptions (apiKey, githubToken). */
  readonly ask = (): Promise<string | undefined> => {
    this.calls++
    for (const wake of this.waiters.splice(0)) wake()
    if (this.opened) return Promise.resolve(this.opened.value)
    return new Promise((resolve) => this.pending.push(resolve))
  }

  /** Answers every waiting call and every later one with `value`. */
  open(value?: string): void {
    this.opened = { value }
    this.releaseAll()
  }

  /** Answers the oldest waiting call (undefined: no key, which ends a task at once without Docker). */
  release(value?: string): void {
    const next = this.pending.shift()
    if (!next) throw new Error('nothing is waiting at the gate')
    next(value)
  }

  releaseAll(): void {
    while (this.pending.length) this.release(this.opened?.value)
  }

  /** Resolves once the gate was called `count` times; rejects after `timeoutMs`. */
  async waitForCalls(count: number, timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (this.calls < count) {
      const left = until - Date.now()
      if (left <= 0) throw new Error(`the gate was called ${this.calls} times, not ${count}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }
}

export interface EngineBench {
  engine: TaskEngine
  dataDir: string
  settings: SettingsStore
  handlers: Handlers
  apiKey: Gate
  githubToken: Gate
  /** Every event the engine emitted, in order. */
  events: TaskEvent[]
  /** Submits a folder task (the folder need not exist: a held task never imports). */
  submit(title: string): Promise<TaskRecord>
}

/** Opens the bench; on the test's end every gate is opened and the engine closed. */
export async function openEngineBench(
  opts: { settings?: SettingsInput; dataDir?: string; connectEngine?: EngineOptions['connectEngine'] } = {},
): Promise<EngineBench> {
  const root = await tempDir('codex-engine-unit-')
  const dataDir = opts.dataDir ?? join(root, 'data')
  const settings = memorySettings(opts.settings)
  const apiKey = new Gate()
  const githubToken = new Gate()
  const engine = await TaskEngine.open({
    dataDir,
    settings: () => settings.get(),
    apiKey: apiKey.ask,
    githubToken: githubToken.ask,
    agentImage: { contextDir: agentImageDir(), baseImage: 'codex-sys/none:unit' },
    docker: createDockerClient({ host: `unix://${join(root, 'no-docker.sock')}` }),
    connectEngine: opts.connectEngine,
    idPrefix: 'unit-',
  })
  const events: TaskEvent[] = []
  engine.subscribe((event) => events.push(event))
  onTestFinished(async () => {
    apiKey.open()
    githubToken.open()
    await engine.close()
  })
  const handlers = createHandlers({ engine, settings, secrets: await memorySecrets(), system: idleSystem })
  const submit = (title: string): Promise<TaskRecord> =>
    engine.submit({ source: { kind: 'folder', path: join(root, 'code') }, prompt: title, title })
  return { engine, dataDir, settings, handlers, apiKey, githubToken, events, submit }
}

/** Resolves when the task's record reaches `status`; rejects after `timeoutMs` with the status it has. */
export async function untilStatus(
  engine: TaskEngine,
  id: string,
  status: TaskRecord['status'],
  timeoutMs = 5_000,
): Promise<TaskRecord> {
  const until = Date.now() + timeoutMs
  while (engine.get(id).status !== status) {
    if (Date.now() > until) throw new Error(`task ${id} is ${engine.get(id).status}, not ${status}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return engine.get(id)
}

/** The status events of one task, as [status, message]. */
export const statusesOf = (events: TaskEvent[], id: string): Array<[string, string | undefined]> =>
  events.flatMap((e) => (e.taskId === id && e.type === 'status' ? [[e.status, e.message]] : []))
