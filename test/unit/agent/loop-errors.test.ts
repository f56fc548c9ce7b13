import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ScriptStep } from '../../support/model-server'
import { API_KEY, harness } from './harness'

const shellForever = (): ScriptStep => ({ toolCalls: [{ name: 'shell', args: { command: 'true' } }] })
const finish: ScriptStep = { toolCalls: [{ name: 'finish', args: { summary: 'ok' } }] }

describe('runAgent: model API failures', () => {
  it('retries a 429, honouring Retry-After, and emits a retry event', async () => {
    const h = await harness([
      {
        status: 429,
        error: { message: 'Rate limit reached', type: 'requests' },
        headers: { 'retry-after-ms': '40' },
      },
      { status: 503, error: { message: 'overloaded' } },
      finish,
    ])
    const result = await h.run()
    expect(result.summary).toBe('ok')
    const retries = h.events.filter((e) => e.type === 'retry')
    expect(retries).toEqual([
      { type: 'retry', step: 1, attempt: 1, delayMs: 40, reason: 'rate limited (429)' },
      { type: 'retry', step: 1, attempt: 2, delayMs: expect.any(Number), reason: 'server error (503)' },
    ])
    expect(h.server.requests).toHaveLength(3)
    expect(result.usage.steps).toBe(1)
  })

  it('gives up after the retry budget with model_error', async () => {
    const h = await harness(() => ({
      status: 500,
      error: { message: 'The server had an error', type: 'server_error' },
    }))
    const err = await h.fail({ retry: { maxAttempts: 3, baseDelayMs: 1 } })
    expect(err.kind).toBe('model_error')
    expect(err.message).toBe('The model API kept failing (3 attempts): 500 The server had an error')
    expect(h.server.requests).toHaveLength(3)
    expect(h.events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.attempt)).toEqual([
      1, 2,
    ])
  })

  it('a script that runs out fails loudly', async () => {
    const h = await harness([shellForever()])
    const err = await h.fail({ retry: { maxAttempts: 1 } })
    expect(err.message).toMatch(/request #2 runs past the end of the script \(1 steps\)/)
  })

  it('401 is auth_failed, with the key nowhere in events or the error', async () => {
    const h = await harness([finish], { apiKey: 'sk-the-right-one-0000000000' })
    const err = await h.fail()
    expect(err.toData()).toEqual({
      kind: 'auth_failed',
      message: 'The model API rejected the API key',
      hint: expect.stringMatching(/valid API key/),
      details: { status: 401 },
    })
    expect(h.server.requests).toHaveLength(0)
    expect(JSON.stringify(h.events)).not.toContain(API_KEY.slice(-8))
  })

  it('403, 404 and 400 are not retried and carry the API message, redacted', async () => {
    const cases: Array<[ScriptStep, string, string]> = [
      [
        { status: 403, error: { message: 'Project has no access' } },
        'auth_failed',
        'The model API rejected the API key',
      ],
      [
        { status: 404, error: { message: 'The model `nope` does not exist', code: 'model_not_found' } },
        'model_error',
        'The model API does not know the model "test-model": 404 The model `nope` does not exist',
      ],
      [
        { status: 400, error: { message: `Bad key ${API_KEY} in context_length` } },
        'model_error',
        'The model API refused the request: 400 Bad key [redacted] in context_length',
      ],
      [
        { status: 429, error: { message: 'You exceeded your current quota', code: 'insufficient_quota' } },
        'model_error',
        'The model API refused the request: 429 You exceeded your current quota',
      ],
    ]
    for (const [step, kind, message] of cases) {
      const h = await harness([step, finish])
      const err = await h.fail()
      expect([err.kind, err.message]).toEqual([kind, message])
      expect(h.server.requests).toHaveLength(1)
    }
  })
})

describe('runAgent: limits and cancel', () => {
  it('stops at the step limit', async () => {
    const h = await harness(shellForever)
    const err = await h.fail({ limits: { maxSteps: 3 } })
    expect(err.kind).toBe('budget_exceeded')
    expect(err.message).toBe('Step limit reached: 3 of 3 steps used')
    expect(h.server.requests).toHaveLength(3)
    expect(h.events.filter((e) => e.type === 'tool_result')).toHaveLength(3)
  })

  it('stops at the token limit', async () => {
    const h = await harness(() => ({
      ...shellForever(),
      usage: { prompt_tokens: 3000, completion_tokens: 500 },
    }))
    const err = await h.fail({ limits: { maxTokens: 10_000 } })
    expect(err.kind).toBe('budget_exceeded')
    expect(err.message).toBe('Token limit reached: 10,500 of 10,000 tokens used')
    expect(err.details).toMatchObject({ steps: 3, tokens: 10_500 })
  })

  it('stops at the cost limit, with prices from the override table', async () => {
    const h = await harness(() => ({
      ...shellForever(),
      usage: { prompt_tokens: 100_000, completion_tokens: 10_000 },
    }))
    const pricing = { 'test-model': { input: 1, output: 10 } } // $0.20 per step
    const err = await h.fail({ pricing, limits: { maxCostUsd: 0.5 } })
    expect(err.kind).toBe('budget_exceeded')
    expect(err.message).toBe('Cost limit reached: $0.6000 of $0.5000 spent')
    expect(h.events.filter((e) => e.type === 'usage').map((e) => e.type === 'usage' && e.costUsd)).toEqual([
      0.2, 0.2, 0.2,
    ])
  })

  it('a finished turn is not failed by a limit its last reply crossed', async () => {
    const h = await harness([{ ...finish, usage: { prompt_tokens: 5000, completion_tokens: 100 } }])
    expect((await h.run({ limits: { maxTokens: 1000 } })).summary).toBe('ok')
  })

  it('stops at the deadline: before a model call, while waiting for it, and during a tool', async () => {
    let h = await harness([finish])
    expect((await h.fail({ limits: { deadline: Date.now() - 1 } })).kind).toBe('timeout')
    expect(h.server.requests).toHaveLength(0)

    h = await harness([{ ...finish, delayMs: 5000 }])
    let started = Date.now()
    expect((await h.fail({ limits: { deadline: Date.now() + 500 } })).kind).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(3000)

    h = await harness([{ toolCalls: [{ name: 'shell', args: { command: 'sleep 20' } }] }, finish])
    started = Date.now()
    const err = await h.fail({ limits: { deadline: Date.now() + 1500 } })
    expect([err.kind, err.message]).toEqual(['timeout', 'The task hit its time limit'])
    expect(Date.now() - started).toBeLessThan(8000)
    const result = h.events.find((e) => e.type === 'tool_result')
    expect(result?.type === 'tool_result' && result.output).toMatch(/timed out after 2 s/)
  })

  it('cancels mid-run: during a tool and during a model call', async () => {
    // The workspace runs commands through the product's runExec on the host (test/support/local-workspace.ts):
    // the cancel is the product's, which kills every process marked as the command's.
    const command = 'sleep 30 & echo $! > sleep.pid; wait'
    let h = await harness([{ toolCalls: [{ name: 'shell', args: { command } }] }, finish])
    let controller = new AbortController()
    const sleepPid = async (): Promise<number> =>
      Number(await readFile(join(h.dir, 'sleep.pid'), 'utf8').catch(() => '0'))
    // Cancelled once the command runs: what it started must go with it.
    let started = 0
    void (async () => {
      const giveUp = Date.now() + 20_000
      while (!(await sleepPid()) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 20))
      started = Date.now()
      controller.abort()
    })()
    let err = await h.fail({ signal: controller.signal })
    expect([err.kind, err.message]).toEqual(['cancelled', 'The task was cancelled'])
    expect(Date.now() - started).toBeLessThan(5000)
    expect(h.events.map((e) => e.type)).toEqual(['usage', 'tool_call'])
    const pid = await sleepPid()
    expect(pid).toBeGreaterThan(0)
    // The command is gone (or a zombie waiting for a reaper: this machine's pid 1 does not reap).
    const state = (): Promise<string | undefined> =>
      readFile(`/proc/${pid}/stat`, 'utf8').then(
        (text) => text.split(') ')[1]?.[0],
        () => 'gone',
      )
    while (Date.now() - started < 5000 && !['gone', 'Z'].includes((await state()) ?? '')) {
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(['gone', 'Z']).toContain(await state())

    h = await harness([{ ...finish, delayMs: 10_000 }])
    controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    started = Date.now()
    err = await h.fail({ signal: controller.signal })
    expect(err.kind).toBe('cancelled')
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
