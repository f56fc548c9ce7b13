import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { Services } from '../../src/main/services'
import type { TaskEvent } from '../../src/shared/events'
import type { TaskRecord } from '../../src/shared/task'
import { auditStore, orphansOf } from '../support/engine-child-audit'
import { waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ModelServer, type ScriptStep } from '../support/model-server'
import { openTestServices } from '../support/services'
import { tempDir } from '../support/tmp'
import { expectFault } from './support/fault-table'

/**
 * The model API in trouble, on the real engine (a real task in Docker) against the scripted model server:
 * 429 with Retry-After, 500, 503, a reset connection, a stream that stalls mid-reply, a body that is not
 * JSON — one fault a model call, on both wire APIs — and a server that fails every call. After each: the
 * task ends in the promised state, every retry is in its events with its reason and wait, the store reads
 * back whole, and no container is left.
 */
const IDLE_SECONDS = 1

let model: ModelServer
let services: Services
let engine: TaskEngine
let suiteDir: string
let dataDir: string
const scripts = new Map<string, { steps: ScriptStep[]; served: number; fallback?: ScriptStep }>()
const events: TaskEvent[] = []

const shell = (command: string): ScriptStep => ({ toolCalls: [{ name: 'shell', args: { command } }] })
const finish: ScriptStep = { toolCalls: [{ name: 'finish', args: { summary: 'Survived the faults.' } }] }

/** A stream whose first event is cut in the middle of its JSON, per API. */
const truncatedStream = (api: 'chat' | 'responses'): ScriptStep => ({
  fault: 'raw',
  status: 200,
  contentType: 'text/event-stream',
  body:
    api === 'chat'
      ? 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel\n\n'
      : 'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_\n\n',
})

interface Fault {
  name: string
  step: ScriptStep
  reason: string
  delayMs?: number
}

const faults = (api: 'chat' | 'responses'): Fault[] => [
  {
    name: '429 with Retry-After',
    step: {
      status: 429,
      error: { message: 'Rate limit reached', type: 'requests' },
      headers: { 'retry-after': '1' },
    },
    reason: 'rate limited (429)',
    delayMs: 1000,
  },
  {
    name: '500',
    step: { status: 500, error: { message: 'The server had an error', type: 'server_error' } },
    reason: 'server error (500)',
  },
  {
    name: '503',
    step: { status: 503, error: { message: 'Service unavailable', type: 'server_error' } },
    reason: 'server error (503)',
  },
  { name: 'connection reset', step: { fault: 'reset' }, reason: 'connection error' },
  {
    name: 'stream stalled mid-reply',
    step: { text: 'Looking at the files and then', stallAfterEvents: api === 'chat' ? 3 : 6 },
    reason: `stream stalled for ${IDLE_SECONDS} s`,
  },
  { name: 'body not JSON', step: truncatedStream(api), reason: 'reply not valid JSON' },
]

/** Each fault, then the real answer of that step: one fault a model call, so each call retries once. */
const scriptOf = (list: Fault[]): ScriptStep[] => [
  ...list.flatMap((f, i) => [f.step, shell(`echo step-${i} >> log.txt`)]),
  finish,
]

beforeAll(async () => {
  suiteDir = await mkdtemp(join(tmpdir(), 'codex-model-faults-'))
  dataDir = join(suiteDir, 'data')
  model = await startModelServer((req) => {
    const text = JSON.stringify(req.messages)
    const entry = [...scripts].find(([prompt]) => text.includes(prompt))?.[1]
    if (!entry) return finish
    return entry.steps[entry.served++] ?? entry.fallback ?? finish
  })
  services = await openTestServices({
    dataDir,
    baseURL: model.baseURL,
    settings: { streamIdleSeconds: IDLE_SECONDS },
  })
  engine = services.engine
  engine.subscribe((e) => events.push(e))
})
afterAll(async () => {
  await engine?.close()
  await model?.close()
  if (suiteDir) await rm(suiteDir, { recursive: true, force: true })
})

async function submit(prompt: string, steps: ScriptStep[], fallback?: ScriptStep): Promise<string> {
  scripts.set(prompt, { steps, served: 0, fallback })
  const repo = join(await tempDir(), 'repo')
  await writeFiles(repo, { 'a.txt': 'a\n' })
  const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt })
  return id
}

const stateOf = (task: TaskRecord): string =>
  task.status === 'failed' ? `failed: ${task.error?.message.split(':')[0]}` : task.status

const retriesOf = (id: string) =>
  events.filter((e): e is Extract<TaskEvent, { type: 'retry' }> => e.taskId === id && e.type === 'retry')

/** Records and asserts one row a fault; lost and orphans from the store read back and Docker. */
async function recordRows(id: string, names: string[], expectedState: string): Promise<void> {
  const task = engine.get(id)
  const { lost, notes } = await auditStore(dataDir, [id], [id])
  const orphans = await orphansOf(id)
  for (const fault of names) {
    const row = { fault, finalState: stateOf(task), expectedState, lost, orphans }
    expectFault(row, notes.join('; '))
  }
}

describe.each(['chat', 'responses'] as const)('model API trouble over %s, on the real engine', (api) => {
  it('a task whose calls meet 429, 500, 503, a reset, a stall and a body not JSON in turn reaches review', async () => {
    await services.settings.update({ modelApi: api })
    const list = faults(api)
    const id = await submit(`Survive the model API faults over ${api}.`, scriptOf(list))
    const task = await waitForStatus(engine, id, ['review', 'failed'], 180_000)
    const names = list.map((f) => `model ${f.name} (${api})`)
    await recordRows(id, names, 'review')
    expect(task.summary).toBe('Survived the faults.')
    const prompt = `Survive the model API faults over ${api}.`
    const paths = model.requests.filter((r) => JSON.stringify(r.body).includes(prompt)).map((r) => r.path)
    expect(new Set(paths)).toEqual(new Set([api === 'chat' ? '/v1/chat/completions' : '/v1/responses']))
    // Each fault is a retry in the timeline with its reason and wait; the persisted events say the same.
    const retries = retriesOf(id)
    expect(retries.map((r) => r.reason)).toEqual(list.map((f) => f.reason))
    expect(retries.every((r) => r.attempt === 1 && r.delayMs >= 0)).toBe(true)
    expect(retries[0]!.delayMs).toBe(1000)
    const stored = (await engine.events(id)).filter((e) => e.type === 'retry')
    expect(stored).toHaveLength(list.length)
  })
})

describe('a model API down for good, on the real engine', () => {
  it('a server that fails every call ends the task failed with the labelled message', async () => {
    await services.settings.update({ modelApi: 'auto' })
    const down: ScriptStep = {
      status: 500,
      error: { message: 'The server had an error', type: 'server_error' },
    }
    const id = await submit('Meet a model API that is down.', [], down)
    const task = await waitForStatus(engine, id, ['review', 'failed'], 120_000)
    await recordRows(
      id,
      ['model API down: 500 on every call'],
      'failed: The model API kept failing (5 attempts)',
    )
    expect(task.error).toMatchObject({
      kind: 'model_error',
      message: 'The model API kept failing (5 attempts): 500 The server had an error',
      hint: expect.stringMatching(/try again later/),
    })
    expect(retriesOf(id).map((r) => r.attempt)).toEqual([1, 2, 3, 4])
  })
})
