import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Handlers } from '../../../src/main/engine/handlers'
import { toErrorData } from '../../../src/main/errors'
import type { ServerContext } from '../../../src/main/server/api-routes'
import { HttpError, sendError, statusForError } from '../../../src/main/server/http-io'
import type { SeedAutoPr } from '../../../src/main/server/seed-auto-pr'
import type { SeedProgressTracker } from '../../../src/main/server/seed-progress'
import { handleSeedSubmit } from '../../../src/main/server/seed-routes'
import type { Services } from '../../../src/main/services'
import { defaultSettings } from '../../../src/shared/settings'
import { emptyUsage, type SubmitTaskInput, type TaskRecord } from '../../../src/shared/task'

/** The seed's POST /api/task over a real HTTP server, with the engine's submit recorded instead of run. */
let server: Server
let origin = ''
let uploadDir = ''
const submitted: SubmitTaskInput[] = []
/** What the auto-PR was handed: the task and the token given with it. */
const autoPrs: Array<{ id: string; token: string }> = []

const record = (input: SubmitTaskInput): TaskRecord => ({
  id: 'seed-1',
  title: 'x',
  prompt: input.prompt,
  source: input.source,
  status: 'queued',
  model: 'm',
  focusFiles: [],
  limits: { maxSteps: 1, maxTokens: 1000, maxCostUsd: 1, timeLimitMs: 1000 },
  createdAt: '',
  updatedAt: '',
  usage: emptyUsage(),
  turns: 0,
})

beforeAll(async () => {
  uploadDir = await mkdtemp(join(tmpdir(), 'codex-seed-'))
  const ctx = {
    services: { settings: { get: () => defaultSettings() } } as unknown as Services,
    handlers: {
      'tasks.submit': async (input: SubmitTaskInput) => {
        submitted.push(input)
        return record(input)
      },
    } as unknown as Handlers,
    uploadDir,
    heartbeatMs: 60_000,
    streams: new Set(),
    seed: {
      autoPr: {
        request: async (task: TaskRecord, token: string) => void autoPrs.push({ id: task.id, token }),
      } as unknown as SeedAutoPr,
      progress: {} as unknown as SeedProgressTracker,
    },
  } satisfies ServerContext
  server = createServer((req, res) => {
    handleSeedSubmit(ctx, req, res).catch((err: unknown) => {
      const error = toErrorData(err)
      sendError(res, err instanceof HttpError ? err.status : statusForError(error), error)
    })
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()))
  await rm(uploadDir, { recursive: true, force: true })
})
beforeEach(() => {
  submitted.length = 0
  autoPrs.length = 0
})

async function post(
  fields: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData()
  form.set('git_url', 'https://github.com/acme/shop.git')
  form.set('task_description', 'add a README')
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  const res = await fetch(`${origin}/api/task`, { method: 'POST', body: form })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('POST /api/task: the network fields', () => {
  it('leaves the network to the defaults without them', async () => {
    expect((await post({})).status).toBe(202)
    expect(submitted[0]!.network).toBeUndefined()
  })

  it('takes setup_network and agent_network as the CLI takes its MODEs, and read_only_network', async () => {
    expect(
      (await post({ setup_network: 'full', agent_network: 'api.example.com,*.example.org' })).status,
    ).toBe(202)
    expect(submitted[0]!.network).toEqual({
      setup: { mode: 'full', hosts: [], readOnly: false },
      agent: { mode: 'custom', hosts: ['api.example.com', '*.example.org'], readOnly: false },
    })
    expect((await post({ agent_network: 'registries', read_only_network: 'true' })).status).toBe(202)
    expect(submitted[1]!.network).toEqual({
      setup: { mode: 'registries', hosts: [], readOnly: true },
      agent: { mode: 'registries', hosts: [], readOnly: true },
    })
  })

  it('refuses a bad MODE or flag with 400 and says which field', async () => {
    const bad = await post({ agent_network: 'everything' })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({
      ok: false,
      error: { kind: 'invalid_input', message: expect.stringMatching(/^agent_network: Not a host pattern/) },
    })
    expect((await post({ setup_network: 'off,example.com' })).body).toMatchObject({
      error: { message: expect.stringMatching(/^setup_network: "off" takes no hosts/) },
    })
    expect((await post({ read_only_network: 'maybe' })).body).toMatchObject({
      error: { message: 'read_only_network: give true or false.' },
    })
    expect((await post({ read_only_network: '1', setup_network: 'off' })).body).toMatchObject({
      error: { message: expect.stringMatching(/^read_only_network: Read-only needs a phase/) },
    })
    expect(submitted).toEqual([])
  })
})

describe('POST /api/task: runtime and github_token', () => {
  it('passes runtime through to the submit, and refuses a runtime it does not know', async () => {
    expect((await post({ runtime: 'codex' })).status).toBe(202)
    expect((await post({ runtime: 'builtin' })).status).toBe(202)
    expect((await post({})).status).toBe(202)
    expect(submitted.map((s) => s.runtime)).toEqual(['codex', 'builtin', undefined])
    const bad = await post({ runtime: 'gpt' })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { message: 'runtime: give builtin or codex.' } })
    expect(submitted).toHaveLength(3)
  })

  it('hands github_token to the auto-PR of the task it created, never to the submit', async () => {
    const token = 'ghp_unit_test_token_0123456789'
    const res = await post({ github_token: token })
    expect(res).toEqual({
      status: 202,
      body: {
        message: 'Task created successfully',
        task_id: 'seed-1',
        status: 'pending',
        logs_url: '/api/logs/seed-1/',
      },
    })
    expect(autoPrs).toEqual([{ id: 'seed-1', token }])
    expect(JSON.stringify(submitted)).not.toContain(token)
    // A token that could break out of an HTTP header is refused, and not echoed.
    const bad = await post({ github_token: 'ghp_x\r\nX-Evil: 1' })
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).not.toContain('ghp_x')
    expect(autoPrs).toHaveLength(1)
    expect(submitted).toHaveLength(1)
  })
})
