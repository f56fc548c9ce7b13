import { describe, expect, it } from 'vitest'
import { startModelServer, validateChatRequest } from '../../support/model-server'
import { isContextLengthExceeded } from '../../../src/main/agent/context-keeper'
import { createModelClient } from '../../../src/main/agent/model'
import { completeWithRetry } from '../../../src/main/agent/model'
import { API_KEY } from './harness'
import { FACT, startLongTask } from './compaction-fixture'

describe('budgets across compaction', () => {
  it('the summary call’s tokens count: a token budget it uses up stops the task before the next model call', async () => {
    // A first run finds where the first summary call comes and what the totals are just after it.
    const probe = await startLongTask({ steps: 40, serverWindow: 30_000 })
    await probe.run()
    const bodies = probe.server.requests.map((r) => r.body)
    const first = bodies.findIndex((b) => b.tools === undefined)
    expect(first).toBeGreaterThan(0)
    const tokensThrough = (n: number): number =>
      probe.server.sizes.slice(0, n + 1).reduce((sum, s) => sum + s.tokens + 20, 0)
    const maxTokens = tokensThrough(first) - 10

    const task = await startLongTask({
      steps: 40,
      serverWindow: 30_000,
      extra: { limits: { maxSteps: 100, maxTokens, maxCostUsd: 1000, deadline: Date.now() + 60_000 } },
    })
    const err = await task.run().then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ kind: 'budget_exceeded' })
    expect(task.server.requests.at(-1)?.body.tools).toBeUndefined()
  })
})

describe('a "context length exceeded" refusal', () => {
  it('compacts and retries the call once: the task goes on, and later calls respect the window the API named', async () => {
    // The client believes in a window of 1M tokens; the server holds 30k.
    const task = await startLongTask({ steps: 20, serverWindow: 30_000, clientWindow: 1_000_000 })
    const result = await task.run()

    expect(result.summary).toContain('Ran 19 rounds')
    expect(result.summary).toContain(FACT)
    const refused = task.server.sizes.filter((s) => s.refused)
    expect(refused).toHaveLength(1)
    const at = task.server.sizes.findIndex((s) => s.refused)
    expect(task.server.sizes.slice(at + 1).every((s) => s.tokens <= 30_000)).toBe(true)

    const compactions = task.events.filter((e) => e.type === 'compaction')
    expect(compactions.length).toBeGreaterThanOrEqual(1)
    const first = compactions[0]!
    // The refused step is retried as the same step, after the compaction: no step is lost or doubled.
    const usageSteps = task.events.filter((e) => e.type === 'usage').map((e) => e.step)
    expect(usageSteps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(first.step).toBeGreaterThan(1)
    expect(first.afterTokens).toBeLessThan(30_000 * 0.85)
    expect(result.usage.steps).toBe(20)
    // The history handed back is a valid conversation (no tool result without its call).
    expect(validateChatRequest({ model: 'm', messages: result.messages })).toBeNull()
  })

  it('is recognised by its code, raw from the client or as the model error the retry wrapper makes of it', async () => {
    const server = await startModelServer([{ text: 'never' }], { contextWindow: 10 })
    const client = createModelClient({ apiKey: API_KEY, baseURL: server.baseURL })
    const messages = [{ role: 'user' as const, content: 'x'.repeat(200) }]
    const raw = await client.chat.completions
      .create({ model: 'test-model', messages })
      .catch((e: unknown) => e)
    expect(isContextLengthExceeded(raw)).toBe(true)
    const mapped = await completeWithRetry(
      client,
      { model: 'test-model', messages },
      {
        deadline: Date.now() + 10_000,
        onRetry: () => undefined,
      },
    ).catch((e: unknown) => e)
    expect(isContextLengthExceeded(mapped)).toBe(true)
    expect(isContextLengthExceeded(new Error('maximum context length'))).toBe(false)
    await server.close()
  })
})
