import { join } from 'node:path'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { createAppServer, type AppServer } from '../../src/main/server/app-server'
import type { Services } from '../../src/main/services'
import type { TaskEvent } from '../../src/shared/events'
import type { TaskStatus } from '../../src/shared/task'
import { waitForStatus } from './engine'
import { orphansOf } from './engine-child-audit'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { testBaseImage } from './docker'
import { startModelServer, type ChatRequest, type ScriptStep } from './model-server'
import { memorySecrets, memorySettings, TEST_API_KEY } from './services'
import { tempDir } from './tmp'

export interface LoadEnv {
  root: string
  dataDir: string
  services: Services
  engine: TaskEngine
  server: AppServer
  auth: Record<string, string>
  /** The address a browser visits first (sets the token's cookie). */
  openUrl: string
}

/**
 * The task ids' prefix. Not `test-`: the global setup of every other test run going on beside this one
 * sweeps `test-` containers that are not running, and this run has one just created (not yet started)
 * most of the time.
 */
const LOAD_ID_PREFIX = 'load-'

/** The services over a real engine as openTestServices makes them, with the load run's id prefix. */
async function openLoadServices(
  dataDir: string,
  baseURL: string,
  maxConcurrentTasks: number,
): Promise<Services> {
  const settings = memorySettings({ model: 'scripted-model', baseUrl: baseURL, maxConcurrentTasks })
  const secrets = await memorySecrets({ openai: TEST_API_KEY }, currentEndpoints(settings.get()))
  return openServices({
    dataDir,
    settings,
    secrets,
    agentImage: { contextDir: agentImageDir(), baseImage: testBaseImage() },
    idPrefix: LOAD_ID_PREFIX,
  })
}

/**
 * The headless server over a real engine (concurrency `maxConcurrentTasks`) whose scripted model answers
 * each request by what it says (`script`); runs `fn`, then closes everything. Call it inside a test.
 */
export async function withLoadServer(
  opts: { rendererDir: string; maxConcurrentTasks: number; script: (req: ChatRequest) => ScriptStep },
  fn: (env: LoadEnv) => Promise<void>,
): Promise<void> {
  const root = await tempDir()
  const dataDir = join(root, 'data')
  const model = await startModelServer((req) => opts.script(req))
  const services = await openLoadServices(dataDir, model.baseURL, opts.maxConcurrentTasks)
  try {
    const server = await createAppServer(services, {
      host: '127.0.0.1',
      port: 0,
      rendererDir: opts.rendererDir,
      uploadDir: join(root, 'uploads'),
    })
    const token = server.token!
    try {
      await fn({
        root,
        dataDir,
        services,
        engine: services.engine,
        server,
        auth: { authorization: `Bearer ${token}` },
        openUrl: `${server.url}/?token=${encodeURIComponent(token)}`,
      })
    } finally {
      await server.close()
    }
  } finally {
    await services.engine.close()
    await model.close()
  }
}

/** `count` tasks on the folder at `path`, submitted at once; their ids in the order the calls were made. */
export async function submitAtOnce(
  engine: TaskEngine,
  path: string,
  count: number,
  prompt: string,
): Promise<string[]> {
  const tasks = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      engine.submit({ source: { kind: 'folder', path }, prompt: `${prompt} #${i}` }),
    ),
  )
  return tasks.map((task) => task.id)
}

const SETTLED: TaskStatus[] = ['review', 'failed', 'cancelled', 'interrupted']

/** Waits until every task settled (whichever way); their statuses, and the message of each that failed. */
export async function settleAll(
  engine: TaskEngine,
  ids: readonly string[],
  timeoutMs: number,
): Promise<{ statuses: TaskStatus[]; problems: string[] }> {
  for (const id of ids) await waitForStatus(engine, id, SETTLED, timeoutMs)
  const records = ids.map((id) => engine.get(id))
  const problems = records.filter((t) => t.error).map((t) => `${t.id} ${t.status}: ${t.error!.message}`)
  return { statuses: records.map((t) => t.status), problems }
}

/** Containers still there of these tasks (`docker ps -a --filter label=codex-sys.task=<id>`, summed). */
export async function orphansOfAll(ids: readonly string[]): Promise<number> {
  let total = 0
  for (const id of ids) total += await orphansOf(id)
  return total
}

/** What the test reads of the engine's queue (private to the engine): the ids still waiting, in order. */
const waitingOf = (engine: TaskEngine): readonly string[] =>
  (engine as unknown as { queue: { waitingIds: string[] } }).queue.waitingIds

export interface QueueOrder {
  /** In the order of their `queued` events: the order the engine took them in. */
  queued: string[]
  /** In the order they left the queue (looked at on every engine event; ids gone between two count in queued order). */
  dequeued: string[]
  /** In the order of their first status after `queued` (`preparing`: it follows an await, so tasks that started together may swap). */
  started: string[]
  stop(): void
}

/** Watches the order in which tasks are queued, leave the queue, and show that they started. */
export function watchQueueOrder(engine: TaskEngine): QueueOrder {
  const order = { queued: [] as string[], dequeued: [] as string[], started: [] as string[] }
  const note = (list: string[], id: string): void => void (list.includes(id) || list.push(id))
  const stop = engine.subscribe((event: TaskEvent) => {
    const queuedNow = event.type === 'status' && event.status === 'queued' ? event.taskId : undefined
    if (queuedNow) note(order.queued, queuedNow)
    // A task's `queued` event comes just before the engine enqueues it: from its next event on, it is
    // either waiting or has left the queue.
    const waiting = new Set(waitingOf(engine))
    for (const id of order.queued) if (id !== queuedNow && !waiting.has(id)) note(order.dequeued, id)
    if (event.type === 'status' && event.status !== 'queued') note(order.started, event.taskId)
  })
  return { ...order, stop }
}
