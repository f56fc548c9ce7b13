import { describe, expect, it } from 'vitest'
import { createModelClient, redact } from '../../../src/main/agent/model'

describe('model client', () => {
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
