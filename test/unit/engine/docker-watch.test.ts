import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { DOCKER_GONE_MESSAGE, DockerRestarts } from '../../../src/main/engine/docker-restarts'
import { DockerWatch } from '../../../src/main/engine/docker-watch'
import { TaskQueue } from '../../../src/main/engine/task-queue'
import { TaskStore } from '../../../src/main/engine/task-store'
import { pingEngine } from '../../../src/main/docker/engine-probe'
import { newTaskRecord } from '../../../src/main/engine/new-task'
import { defaultSettings } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'
import { tempDir } from '../../support/tmp'

/**
 * A stand-in for the engine's socket: a real HTTP server on a unix socket answering GET /_ping and the
 * container list (empty, or `containers`), which the tests stop and start again like a restarted dockerd.
 */
class FakeEngine {
  private server: Server | undefined
  readonly requests: string[] = []
  containers: Array<{ Id: string; Labels: Record<string, string>; State: string }> = []
  readonly removed: string[] = []

  constructor(readonly socketPath: string) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const url = req.url ?? '/'
      this.requests.push(`${req.method} ${url}`)
      if (url.startsWith('/_ping')) return void res.end('OK')
      if (url.startsWith('/containers/json')) {
        res.setHeader('content-type', 'application/json')
        return void res.end(JSON.stringify(this.containers))
      }
      const removal = /^\/containers\/([^/?]+)\?/.exec(url)
      if (req.method === 'DELETE' && removal) {
        this.removed.push(removal[1]!)
        res.statusCode = 204
        return void res.end()
      }
      res.statusCode = 404
      res.end('{"message":"no such thing"}')
    })
    await new Promise<void>((resolve) => server.listen(this.socketPath, resolve))
    this.server = server
  }

  async stop(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const engines: FakeEngine[] = []
const closers: Array<() => void> = []
afterEach(async () => {
  for (const close of closers.splice(0)) close()
  for (const engine of engines.splice(0)) await engine.stop()
})

async function fakeEngine(): Promise<{ engine: FakeEngine; docker: Docker }> {
  const engine = new FakeEngine(join(await tempDir(), 'engine.sock'))
  await engine.start()
  engines.push(engine)
  return { engine, docker: new Docker({ socketPath: engine.socketPath }) }
}

async function until(what: string, check: () => boolean, timeoutMs = 3_000): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - started
}

describe('pingEngine', () => {
  it('says up, down (socket gone), and up again; the light look sends no request', async () => {
    const { engine, docker } = await fakeEngine()
    expect(await pingEngine(docker, { timeoutMs: 1_000 })).toBe('up')
    expect(engine.requests).toEqual(['GET /_ping'])
    expect(await pingEngine(docker, { timeoutMs: 1_000, light: true })).toBe('up')
    expect(engine.requests).toHaveLength(1)
    await engine.stop()
    expect(await pingEngine(docker, { timeoutMs: 1_000 })).toBe('down')
    expect(await pingEngine(docker, { timeoutMs: 1_000, light: true })).toBe('down')
    await engine.start()
    expect(await pingEngine(docker, { timeoutMs: 1_000 })).toBe('up')
  })
})

describe('DockerWatch', () => {
  it('tells each edge: first answer, gone, back', async () => {
    const { engine, docker } = await fakeEngine()
    const watch = new DockerWatch({
      look: (light) => pingEngine(docker, { timeoutMs: 500, light }),
      busy: () => true,
      busyMs: 50,
    })
    closers.push(() => watch.stop())
    const edges: string[] = []
    watch.onChange((state, previous) => edges.push(`${previous}→${state}`))
    watch.start()
    await until('first answer', () => watch.state === 'up')
    await engine.stop()
    const downMs = await until('down', () => watch.state === 'down')
    expect(downMs).toBeLessThan(1_000)
    await engine.start()
    await until('back', () => watch.state === 'up')
    expect(edges).toEqual(['unknown→up', 'up→down', 'down→up'])
    expect(watch.everUp).toBe(true)
  })

  it('calls a slow engine down only after several looks in a row without an answer', async () => {
    const answers: Array<'up' | 'slow'> = ['up', 'slow', 'slow', 'up', 'slow', 'slow', 'slow']
    const watch = new DockerWatch({
      look: async () => answers.shift() ?? 'slow',
      busy: () => true,
      busyMs: 5,
      slowLimit: 3,
    })
    closers.push(() => watch.stop())
    const edges: string[] = []
    watch.onChange((state) => edges.push(state))
    watch.start()
    await until('down after three slow looks', () => edges.length === 2)
    expect(edges).toEqual(['up', 'down'])
  })
})

describe('DockerRestarts', () => {
  async function setup() {
    const { engine, docker } = await fakeEngine()
    const store = await TaskStore.open(join(await tempDir(), 'data'))
    const queue = new TaskQueue(1)
    const stops: Array<{ id: string; reason: AppError }> = []
    const runs = new Map<string, unknown>()
    const runner = {
      runs,
      stop: async (id: string, reason: AppError) => {
        stops.push({ id, reason })
        runs.delete(id)
      },
    } as unknown as ConstructorParameters<typeof DockerRestarts>[0]['runner']
    const restarts = new DockerRestarts({ docker, store, queue, runner, watch: { busyMs: 50, idleMs: 50 } })
    closers.push(() => restarts.close())
    await until('first answer', () => restarts.watch.state === 'up')
    return { engine, store, queue, runs, stops, restarts }
  }

  it('holds the queue and stops running tasks while Docker is gone, sweeps and goes on when it is back', async () => {
    const { engine, store, queue, runs, stops, restarts } = await setup()
    const changes: boolean[] = []
    restarts.onChange((change) => changes.push(change.reachable))
    const started: string[] = []
    queue.enqueue('a', async () => {
      started.push('a')
      runs.set('a', {})
      await until('a stopped', () => !runs.has('a'), 10_000)
    })
    queue.enqueue('b', async () => void started.push('b'))
    expect(started).toEqual(['a'])

    await engine.stop()
    await until('a stopped for Docker', () => stops.length === 1)
    expect(stops[0]!.id).toBe('a')
    expect(stops[0]!.reason.kind).toBe('docker_unavailable')
    expect(stops[0]!.reason.message).toBe(DOCKER_GONE_MESSAGE)
    // a has ended, but b waits: Docker is gone.
    await new Promise((r) => setTimeout(r, 200))
    expect(queue.isPaused).toBe(true)
    expect(started).toEqual(['a'])
    expect(queue.waitingIds).toEqual(['b'])

    const ours = newTaskRecord(
      submitTaskInputSchema.parse({ source: { kind: 'folder', path: '/tmp' }, prompt: 'x' }),
      defaultSettings(),
      'unit-',
    )
    await store.create(ours)
    engine.containers = [
      { Id: 'c-ours', Labels: { 'codex-sys.task': ours.id }, State: 'exited' },
      { Id: 'c-other', Labels: { 'codex-sys.task': 'another-engines-task' }, State: 'running' },
    ]
    await engine.start()
    await until('b started', () => started.includes('b'))
    expect(changes).toEqual([false, true])
    // The sweep removed our stale container before the queue went on; another engine's is kept.
    expect(engine.removed).toEqual(['c-ours'])
  })

  it('turns a failure from the lost engine into the interrupted error, and leaves other failures alone', async () => {
    const { engine, queue, restarts } = await setup()
    expect(await restarts.interruption(new AppError('model_error', 'The model API failed'))).toBeUndefined()
    expect(queue.isPaused).toBe(false)
    await engine.stop()
    const error = await restarts.interruption(
      new AppError('docker_unavailable', 'The Docker engine stopped responding.'),
    )
    expect(error).toMatchObject({ kind: 'docker_unavailable', message: DOCKER_GONE_MESSAGE })
    expect(error?.hint).toMatch(/resume/)
    expect(queue.isPaused).toBe(true)
    // A raw lost connection counts only while the engine does not answer.
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(await restarts.interruption(reset)).toMatchObject({ message: DOCKER_GONE_MESSAGE })
    await engine.start()
    await until('queue going again', () => !queue.isPaused)
    expect(await restarts.interruption(reset)).toBeUndefined()
  })

  it('never interrupts when Docker never answered (the task fails as before)', async () => {
    const store = await TaskStore.open(join(await tempDir(), 'data'))
    const queue = new TaskQueue(1)
    const docker = new Docker({ socketPath: join(await tempDir(), 'nothing.sock') })
    const runner = { runs: new Map(), stop: async () => undefined } as unknown as ConstructorParameters<
      typeof DockerRestarts
    >[0]['runner']
    const restarts = new DockerRestarts({ docker, store, queue, runner, watch: { busyMs: 50 } })
    closers.push(() => restarts.close())
    await until('down', () => restarts.watch.state === 'down')
    const err = new AppError(
      'docker_unavailable',
      'Docker is not running (no answer from the Docker engine).',
    )
    expect(await restarts.interruption(err)).toBeUndefined()
    expect(queue.isPaused).toBe(false)
  })
})
