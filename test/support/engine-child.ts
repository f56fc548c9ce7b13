import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { CallName } from '../../src/shared/contract'
import type { AppErrorData } from '../../src/shared/errors'
import type { TaskEvent } from '../../src/shared/events'
import type { TaskRecord } from '../../src/shared/task'
import { testBaseImage } from './docker'
import { ENGINE_CHILD_ENV, type EngineChildConfig, type EngineChildMessage } from './engine-child-protocol'
import { TEST_API_KEY } from './services'

const MAIN = fileURLToPath(new URL('./engine-child-main.ts', import.meta.url))
const READY_MS = 90_000

/** A call the engine answered with an error (its AppError data). */
export class EngineCallError extends Error {
  constructor(readonly error: AppErrorData) {
    super(`${error.kind}: ${error.message}`)
  }
}

/**
 * The real engine and headless server in a child process (engine-child-main.ts) on `dataDir`, driven over
 * the contract's HTTP calls, and killable with SIGKILL at whichever point a test picks.
 */
export class EngineChild {
  private exited: Promise<void>
  private stderr = ''

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-20_000)
    })
  }

  static async start(opts: {
    dataDir: string
    baseURL: string
    settings?: Record<string, unknown>
  }): Promise<EngineChild> {
    const config: EngineChildConfig = {
      dataDir: opts.dataDir,
      baseURL: opts.baseURL,
      apiKey: TEST_API_KEY,
      baseImage: testBaseImage(),
      settings: opts.settings,
    }
    const child = fork(MAIN, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, [ENGINE_CHILD_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    let output = ''
    const collect = (chunk: Buffer): void => void (output = (output + chunk.toString('utf8')).slice(-20_000))
    child.stdout?.on('data', collect)
    child.stderr?.on('data', collect)
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the engine child did not start:\n${output}`)),
        READY_MS,
      )
      child.once('message', (message: EngineChildMessage) => {
        clearTimeout(timer)
        resolve(message.url)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`the engine child exited (${code ?? signal}) before it was ready:\n${output}`))
      })
    })
    return new EngineChild(child, url)
  }

  get pid(): number {
    return this.child.pid!
  }

  /** One contract call over HTTP; an error answer throws EngineCallError. */
  async call<T>(name: CallName, input: unknown = {}): Promise<T> {
    const res = await fetch(`${this.url}/api/call/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-codex-sys': '1' },
      body: JSON.stringify(input),
    })
    const result = (await res.json()) as { ok: true; value: T } | { ok: false; error: AppErrorData }
    if (!result.ok) throw new EngineCallError(result.error)
    return result.value
  }

  task(id: string): Promise<TaskRecord> {
    return this.call<TaskRecord>('tasks.get', { id })
  }

  events(id: string, afterSeq = -1): Promise<TaskEvent[]> {
    return this.call<TaskEvent[]>('tasks.events', { id, afterSeq })
  }

  /** Polls the task's events until one matches (the kill point), and returns it. */
  async waitForEvent(id: string, match: (e: TaskEvent) => boolean, timeoutMs = 120_000): Promise<TaskEvent> {
    return this.poll(`an event of ${id}`, timeoutMs, async () => (await this.events(id)).find(match))
  }

  async waitForStatus(id: string, statuses: readonly string[], timeoutMs = 120_000): Promise<TaskRecord> {
    return this.poll(`${id} in ${statuses.join('/')}`, timeoutMs, async () => {
      const task = await this.task(id)
      return statuses.includes(task.status) ? task : undefined
    })
  }

  /** SIGKILL, as a crash or `kill -9` does: nothing of the engine runs after it. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }

  /** A clean close (SIGTERM: the engine cancels its tasks and closes). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000)
    await this.exited
    clearTimeout(timer)
  }

  /** What the child wrote to stderr lately (for a failure message). */
  get log(): string {
    return this.stderr
  }

  private async poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const found = await probe()
      if (found !== undefined) return found
      if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}\n${this.stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** Polls `check` (a synchronous look at the data dir) every few ms: for kill points no event marks. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
