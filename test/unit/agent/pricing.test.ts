import { describe, expect, it } from 'vitest'
import { estimateCostUsd, priceOf, PRICES, usageAfter } from '../../../src/main/agent/pricing'
import { AppError } from '../../../src/main/errors'
import { harness } from './harness'
import { rig } from '../network/proxy-fixture'

const million = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 }

describe('the price table', () => {
  it('prices known models, dated snapshots and provider prefixes, longest prefix first', () => {
    expect(estimateCostUsd('gpt-4.1-mini', million)).toBeCloseTo(2.0)
    expect(estimateCostUsd('gpt-4.1-mini-2025-04-14', million)).toBeCloseTo(2.0)
    expect(estimateCostUsd('gpt-4o-2024-08-06', { prompt_tokens: 1000, completion_tokens: 0 })).toBeCloseTo(
      0.0025,
    )
    expect(priceOf('openai/gpt-4o-mini')).toEqual({ input: 0.15, cachedInput: 0.075, output: 0.6 })
    expect(priceOf('o4-mini-2025-04-16')).toEqual(PRICES['o4-mini'])
    expect(priceOf('gpt-5-codex')).toEqual(PRICES['gpt-5-codex'])
    expect(priceOf('o3-pro-2025-06-10')).toEqual(PRICES['o3-pro'])
    expect(priceOf('gpt-5.1-codex-mini')).toEqual(PRICES['gpt-5.1-codex-mini'])
  })

  it('has input, cached input and output prices for the current OpenAI models', () => {
    const models = ['gpt-5', 'gpt-5-mini', 'gpt-5-nano', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano']
    for (const model of [...models, 'gpt-4o', 'gpt-4o-mini', 'o3', 'o3-mini', 'o4-mini', 'gpt-5-codex']) {
      const price = PRICES[model]!
      expect(price.cachedInput, model).toBeLessThan(price.input)
      expect(price.output, model).toBeGreaterThan(price.input)
    }
  })

  it('prices cached prompt tokens at the cached rate', () => {
    const usage = { prompt_tokens: 1_000_000, completion_tokens: 0, cached_tokens: 750_000 }
    // gpt-4.1: $2 input, $0.50 cached: 250k fresh ($0.50) + 750k cached ($0.375).
    expect(estimateCostUsd('gpt-4.1', usage)).toBeCloseTo(0.875, 10)
    // A rate without a cached price charges cached tokens as input; cached never exceeds the prompt.
    expect(estimateCostUsd('x', usage, { x: { input: 1, output: 1 } })).toBeCloseTo(1, 10)
    expect(estimateCostUsd('gpt-4.1', { ...usage, cached_tokens: 5_000_000 })).toBeCloseTo(0.5, 10)
  })

  it('gives an unknown model no price, unless an override names it', () => {
    expect(priceOf('some-local-model')).toBeNull()
    expect(estimateCostUsd('llama3.1:8b', million)).toBeNull()
    expect(
      estimateCostUsd('some-local-model', million, { 'some-local-model': { input: 0, output: 0 } }),
    ).toBe(0)
    expect(priceOf('anything', { '*': { input: 1, output: 1 } })).toEqual({ input: 1, output: 1 })
    expect(estimateCostUsd('gpt-4.1', million, { 'gpt-4.1': { input: 1, output: 1 } })).toBe(2)
  })
})

describe("a task's totals", () => {
  it('add each usage event: cached tokens summed, and the cost unknown once one answer had no price', () => {
    const start = { steps: 2, promptTokens: 100, completionTokens: 10, costUsd: 0.5 }
    const priced = usageAfter(start, {
      type: 'usage',
      step: 3,
      promptTokens: 50,
      completionTokens: 5,
      costUsd: 0.25,
      cachedPromptTokens: 40,
    })
    expect(priced).toEqual({
      steps: 3,
      promptTokens: 150,
      completionTokens: 15,
      costUsd: 0.75,
      cachedPromptTokens: 40,
    })
    const unpriced = usageAfter(priced, {
      type: 'usage',
      step: 4,
      promptTokens: 10,
      completionTokens: 1,
      costUsd: 0,
      costKnown: false,
    })
    expect(unpriced).toEqual({
      ...priced,
      steps: 4,
      promptTokens: 160,
      completionTokens: 16,
      costKnown: false,
    })
    expect(start).toEqual({ steps: 2, promptTokens: 100, completionTokens: 10, costUsd: 0.5 })
  })
})

describe('cost through the real openai client', () => {
  it('the loop counts cached prompt tokens and prices them at the cached rate', async () => {
    const h = await harness([
      {
        toolCalls: [{ name: 'shell', args: { command: 'true' } }],
        usage: { prompt_tokens: 10_000, completion_tokens: 100, cached_tokens: 8_000 },
      },
      { text: 'Done.', usage: { prompt_tokens: 12_000, completion_tokens: 50 } },
    ])
    const result = await h.run({ model: 'gpt-4.1-mini' })
    // gpt-4.1-mini: $0.40 input, $0.10 cached, $1.60 output per million.
    const first = (2_000 * 0.4 + 8_000 * 0.1 + 100 * 1.6) / 1e6
    const second = (12_000 * 0.4 + 50 * 1.6) / 1e6
    const usage = h.events.filter((e) => e.type === 'usage')
    expect(usage[0]).toMatchObject({ cachedPromptTokens: 8_000 })
    expect(usage[0]!.costUsd).toBeCloseTo(first, 12)
    expect(usage[1]).not.toHaveProperty('cachedPromptTokens')
    expect(result.usage).toMatchObject({ promptTokens: 22_000, cachedPromptTokens: 8_000 })
    expect(result.usage.costUsd).toBeCloseTo(first + second, 12)
    expect(result.usage.costKnown).toBeUndefined()
  })

  it('the model proxy prices Responses and chat answers with cached input at the cached rate', async () => {
    const r = await rig([
      { text: 'One', usage: { prompt_tokens: 4_000, completion_tokens: 10, cached_tokens: 3_000 } },
      { text: 'Two', usage: { prompt_tokens: 4_000, completion_tokens: 10, cached_tokens: 1_000 } },
    ])
    await r.client.responses.create({ model: 'gpt-5-mini', input: 'Hi' })
    await r.client.chat.completions.create({
      model: 'gpt-5-mini',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    // gpt-5-mini: $0.25 input, $0.025 cached, $2 output per million.
    expect(r.usage.map((u) => [u.api, u.cachedPromptTokens, u.costKnown])).toEqual([
      ['responses', 3_000, true],
      ['chat', 1_000, true],
    ])
    expect(r.usage[0]!.costUsd).toBeCloseTo((1_000 * 0.25 + 3_000 * 0.025 + 10 * 2) / 1e6, 12)
    expect(r.usage[1]!.costUsd).toBeCloseTo((3_000 * 0.25 + 1_000 * 0.025 + 10 * 2) / 1e6, 12)
  })
})

describe('a model without a price', () => {
  it('has cost unknown, and the token budget still stops the task', async () => {
    const step = { toolCalls: [{ name: 'shell', args: { command: 'true' } }] }
    const usage = { prompt_tokens: 900, completion_tokens: 100 }
    const h = await harness([
      { ...step, usage },
      { ...step, usage },
      { ...step, usage },
    ])
    // A guessed price would hit this cost limit first ($0.0001); without a price only tokens count.
    const err = await h.fail({ model: 'my-local-llm', limits: { maxTokens: 2_000, maxCostUsd: 0.0001 } })
    expect(err).toBeInstanceOf(AppError)
    expect(err.kind).toBe('budget_exceeded')
    expect(err.message).toBe('Token limit reached: 2,000 of 2,000 tokens used')
    const events = h.events.filter((e) => e.type === 'usage')
    expect(events).toHaveLength(2)
    expect(events.every((e) => e.type === 'usage' && e.costKnown === false && e.costUsd === 0)).toBe(true)
    expect(err.details).toMatchObject({ costUsd: 0, costKnown: false, promptTokens: 1_800 })
  })

  it('through the model proxy: cost unknown, and the token limit refuses further requests', async () => {
    const r = await rig(
      [
        { text: 'One', usage: { prompt_tokens: 1_500, completion_tokens: 600 } },
        { text: 'Two', usage: { prompt_tokens: 10, completion_tokens: 1 } },
      ],
      { maxTokens: 2_000, maxCostUsd: 0.0001, model: 'my-local-llm' },
    )
    await r.client.chat.completions.create({
      model: 'my-local-llm',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(r.usage).toMatchObject([{ costUsd: 0, costKnown: false, model: 'my-local-llm' }])
    expect(r.exceeded.map((e) => e.message)).toEqual(['Token limit reached: 2,100 of 2,000 tokens used'])
    await expect(
      r.client.chat.completions.create({
        model: 'my-local-llm',
        messages: [{ role: 'user', content: 'Hi' }],
      }),
    ).rejects.toThrow()
    expect(r.server.requests).toHaveLength(1)
  })
})
