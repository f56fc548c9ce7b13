import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listTaskContainers } from '../../src/main/docker/task-containers'
import { DOCKER_GONE_MESSAGE, type DockerChange } from '../../src/main/engine/docker-restarts'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { TaskRecord } from '../../src/shared/task'
import { testImage } from '../support/docker'
import { openTestEngine, waitForEvent, waitForStatus } from '../support/engine'
import { auditStore } from '../support/engine-child-audit'
import { writeFiles } from '../support/files'
import {
  startModelServer,
  type ChatRequest,
  type ModelServer,
  type ScriptStep,
} from '../support/model-server'
import { startPrivateDockerd, type PrivateDockerd } from '../support/private-dockerd'
import { tempDir } from '../support/tmp'
import { expectFault } from './support/fault-table'

/**
 * dockerd killed (SIGKILL) mid-turn and started again, on a private daemon of this test (never the
 * machine's, which other tests use): the running task ends `interrupted` with the Docker message, the
 * queued one waits and runs once Docker is back, the watcher tells the UI within 5 s, and no container of
 * the interrupted task is left after the restart.
 */
const SLOW = 'SLOW-TASK: run the long command'
const QUICK = 'QUICK-TASK: write done.txt'
const THINKING = 'THINKING-TASK: the model takes its time'

function script(req: ChatRequest): ScriptStep {
  const said = JSON.stringify(req.messages)
  const toolTurns = req.messages.filter((m) => m.role === 'tool').length
  if (said.includes(SLOW)) return { toolCalls: [{ name: 'shell', args: { command: 'sleep 120' } }] }
  if (said.includes(THINKING) && toolTurns === 0) {
    return { delayMs: 60_000, toolCalls: [{ name: 'shell', args: { command: 'true' } }] }
  }
  if (toolTurns === 0) return { toolCalls: [{ name: 'shell', args: { command: 'echo done > done.txt' } }] }
  return { toolCalls: [{ name: 'finish', args: { summary: 'Wrote done.txt.' } }] }
}

let dockerd: PrivateDockerd
let model: ModelServer
let engine: TaskEngine
let dataDir: string
let suiteDir: string | undefined

beforeAll(async () => {
  dockerd = await startPrivateDockerd()
  await dockerd.loadImage(testImage())
  model = await startModelServer(script)
  suiteDir = await mkdtemp(join(tmpdir(), 'codex-docker-restart-'))
  dataDir = join(suiteDir, 'data')
  engine = await openTestEngine({
    dataDir,
    baseURL: model.baseURL,
    settings: {
      docker: { host: dockerd.host },
      maxConcurrentTasks: 1,
      // The private daemon's bridge leads nowhere: both phases without a network.
      network: { setup: { mode: 'off' }, agent: { mode: 'off' } },
    },
  })
})

afterAll(async () => {
  await engine?.close()
  await model?.close()
  await dockerd?.close()
  if (suiteDir) await rm(suiteDir, { recursive: true, force: true })
})

async function submit(prompt: string): Promise<string> {
  const repo = join(await tempDir(), 'repo')
  await writeFiles(repo, { 'a.txt': 'a\n' })
  const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt })
  return id
}

const containersOf = async (id: string): Promise<number> =>
  (await listTaskContainers(dockerd.docker)).filter((c) => c.taskId === id).length

it("leaves the machine daemon's default bridge (docker0) in place", () => {
  // A private daemon started with --bridge=none deletes the host's docker0: the machine's builds then fail.
  expect(hostHasDocker0()).toBe(true)
})

function hostHasDocker0(): boolean {
  try {
    execFileSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('dockerd killed and restarted mid-turn', () => {
  it('interrupts the running task, holds the queued one, and goes on once Docker is back', async () => {
    const changes: Array<DockerChange & { at: number }> = []
    engine.dockerRestarts.onChange((change) => changes.push({ ...change, at: Date.now() }))

    const slow = await submit(SLOW)
    await waitForEvent(engine, slow, (e) => e.type === 'tool_call' && e.name === 'shell', 120_000)
    const quick = await submit(QUICK)
    await new Promise((r) => setTimeout(r, 1_000)) // `sleep 120` is running in the container
    expect(engine.get(quick).status).toBe('queued')
    expect(await containersOf(slow)).toBe(1)

    const killedAt = Date.now()
    await dockerd.kill()
    const interrupted: TaskRecord = await waitForStatus(engine, slow, ['interrupted'], 10_000)
    const interruptedMs = Date.now() - killedAt
    expect(interrupted.error).toMatchObject({ kind: 'docker_unavailable', message: DOCKER_GONE_MESSAGE })
    expect(interrupted.error?.hint).toMatch(/resume/i)
    expect(interruptedMs).toBeLessThan(5_000)

    await waitFor(() => changes.some((c) => !c.reachable), 5_000)
    const down = changes.find((c) => !c.reachable)!
    expect(down.at - killedAt).toBeLessThan(5_000)
    // The queued task waits while Docker is gone (it does not fail).
    await new Promise((r) => setTimeout(r, 3_000))
    expect(engine.get(quick).status).toBe('queued')

    const restartedAt = Date.now()
    await dockerd.start()
    await waitFor(() => changes.some((c) => c.reachable && c.at >= restartedAt), 5_000)
    const done = await waitForStatus(engine, quick, ['review'], 120_000)
    expect(done.summary).toBe('Wrote done.txt.')

    const audit = await auditStore(dataDir, [slow, quick], [slow, quick])
    const orphans = (await containersOf(slow)) + (await containersOf(quick))
    const row = {
      fault: 'dockerd killed and restarted mid-turn',
      finalState: `${interrupted.status} (${interrupted.error?.kind}); queued task → ${done.status}`,
      expectedState: 'interrupted (docker_unavailable); queued task → review',
      lost: audit.lost,
      orphans,
    }
    expectFault(row, audit.notes.join('; '))
    console.log(
      `[docker-restart] interrupted ${interruptedMs} ms after the kill; the UI told ${down.at - killedAt} ms after it`,
    )
  })
})

describe('dockerd killed while the model is thinking', () => {
  it('is noticed by the watcher within 5 s: the task ends interrupted, its container is swept after the restart', async () => {
    const changes: Array<DockerChange & { at: number }> = []
    engine.dockerRestarts.onChange((change) => changes.push({ ...change, at: Date.now() }))
    const thinking = await submit(THINKING)
    // The container runs and the model call is under way (no exec in flight to fail by itself).
    await waitFor(
      () => model.requests.some((r) => JSON.stringify(r.body.messages).includes(THINKING)),
      120_000,
    )
    expect(await containersOf(thinking)).toBe(1)

    const killedAt = Date.now()
    await dockerd.kill()
    const interrupted = await waitForStatus(engine, thinking, ['interrupted'], 10_000)
    const interruptedMs = Date.now() - killedAt
    expect(interrupted.error).toMatchObject({ kind: 'docker_unavailable', message: DOCKER_GONE_MESSAGE })
    expect(interruptedMs).toBeLessThan(5_000)
    const down = changes.find((c) => !c.reachable)
    expect(down && down.at - killedAt).toBeLessThan(5_000)

    await dockerd.start()
    await waitFor(() => changes.some((c) => c.reachable), 5_000)
    await waitFor(() => engine.dockerRestarts.watch.state === 'up', 5_000)
    // The sweep runs on the edge; give it the moment it takes.
    const swept = Date.now() + 10_000
    while ((await containersOf(thinking)) > 0 && Date.now() < swept)
      await new Promise((r) => setTimeout(r, 200))

    const audit = await auditStore(dataDir, [thinking], [thinking])
    const row = {
      fault: 'dockerd killed while the model is thinking',
      finalState: `${interrupted.status} (${interrupted.error?.kind})`,
      expectedState: 'interrupted (docker_unavailable)',
      lost: audit.lost,
      orphans: await containersOf(thinking),
    }
    expectFault(row, audit.notes.join('; '))
    console.log(
      `[docker-restart] thinking task interrupted ${interruptedMs} ms after the kill (the watcher's look)`,
    )
  })
})

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
