import { describe, expect, it } from 'vitest'
import {
  createModelClient,
  estimateCostUsd,
  priceOf,
  redact,
  DEFAULT_PRICE,
} from '../../../src/main/agent/model'

const million = { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 }

describe('model pricing and client', () => {
  it('prices known models, dated snapshots and provider prefixes', () => {
    expect(estimateCostUsd('gpt-4.1-mini', million)).toBeCloseTo(2.0)
    expect(estimateCostUsd('gpt-4.1-mini-2025-04-14', million)).toBeCloseTo(2.0)
    expect(estimateCostUsd('gpt-4o-2024-08-06', { prompt_tokens: 1000, completion_tokens: 0 })).toBeCloseTo(
      0.0025,
    )
    expect(priceOf('openai/gpt-4o-mini')).toEqual({ input: 0.15, output: 0.6 })
    expect(priceOf('o4-mini')).toEqual({ input: 1.1, output: 4.4 })
  })

  it('charges unknown models the default price unless overridden', () => {
    expect(priceOf('some-local-model')).toEqual(DEFAULT_PRICE)
    expect(
      estimateCostUsd('some-local-model', million, { 'some-local-model': { input: 0, output: 0 } }),
    ).toBe(0)
    expect(priceOf('anything', { '*': { input: 1, output: 1 } })).toEqual({ input: 1, output: 1 })
    expect(estimateCostUsd('gpt-4.1', million, { 'gpt-4.1': { input: 1, output: 1 } })).toBe(2)
  })

  it('redacts the key and key-shaped strings', () => {
    const text = 'key=abcd1234efgh and sk-proj-ABCDEF123456'
    expect(redact(text, ['abcd1234efgh'])).toBe('key=[redacted] and sk-proj-ABCDEF123456')
    expect(redact(text, ['abcd1234efgh'], true)).toBe('key=[redacted] and [redacted]')
  })

  it('creates a client that does not retry by itself', () => {
    const client = createModelClient({ apiKey: 'k', baseURL: 'http://127.0.0.1:1/v1', timeoutMs: 5000 })
    expect([client.maxRetries, client.timeout, client.baseURL]).toEqual([0, 5000, 'http://127.0.0.1:1/v1'])
  })
})
