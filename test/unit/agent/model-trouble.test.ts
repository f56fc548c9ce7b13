import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/shared/events'
import { completeWithRetry, createModelClient } from '../../../src/main/agent/model'
import type { ScriptStep } from '../../support/model-server'
import { startModelServer } from '../../support/model-server'
import { API_KEY, harness } from './harness'

const ofType = <T extends AgentEvent['type']>(events: AgentEvent[], type: T) =>
  events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type)

const done: ScriptStep = { text: 'Recovered.', usage: { prompt_tokens: 100, completion_tokens: 20 } }

/** A stream whose first event is cut in the middle of its JSON (a truncated body), per API. */
const truncated = {
  chat: 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel\n\n',
  responses: 'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_\n\n',
}

describe.each(['chat', 'responses'] as const)('model API trouble over %s', (api) => {
  it('a stream that stops sending mid-reply is cut by the idle timer and retried whole', async () => {
    const h = await harness([
      // A few words in (the Responses API sends four events before its first text).
      { text: 'words that stop right here and never go on', stallAfterEvents: api === 'chat' ? 4 : 7 },
      done,
    ])
    const started = Date.now()
    // 1 s: long enough that a loaded machine does not stall the good answer too.
    const result = await h.run({ api, stream: true, streamIdleMs: 1000 })
    expect(Date.now() - started).toBeLessThan(8000)
    const retries = ofType(h.events, 'retry')
    expect(retries.map(({ step, attempt, reason }) => ({ step, attempt, reason }))).toEqual([
      { step: 1, attempt: 1, reason: 'stream stalled for 1 s' },
    ])
    expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(0)
    expect(ofType(h.events, 'model_stream_reset')).toHaveLength(1)
    expect(ofType(h.events, 'model_text').map((e) => e.text)).toEqual(['Recovered.'])
    expect(result.usage).toMatchObject({ promptTokens: 100, completionTokens: 20, steps: 1 })
  })

  it('a reply that is not JSON, or a reset connection, is retried; the task goes on', async () => {
    const h = await harness([
      { fault: 'raw', status: 200, contentType: 'text/event-stream', body: truncated[api] },
      { fault: 'reset' },
      { fault: 'raw', status: 502, contentType: 'text/html', body: '<html><h1>502 Bad Gateway</h1></html>' },
      done,
    ])
    await h.run({ api, stream: true })
    expect(ofType(h.events, 'retry').map((e) => e.reason)).toEqual([
      'reply not valid JSON',
      'connection error',
      'server error (502)',
    ])
    expect(ofType(h.events, 'model_text').map((e) => e.text)).toEqual(['Recovered.'])
  })

  it('fails with the labelled error when every attempt breaks', async () => {
    const h = await harness(() => ({
      fault: 'raw',
      status: 200,
      contentType: 'text/event-stream',
      body: truncated[api],
    }))
    const err = await h.fail({ api, stream: true, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } })
    expect(err.kind).toBe('model_error')
    expect(err.message).toBe('The model API kept failing (3 attempts): reply not valid JSON')
  })

  it('malformed tool-call arguments become text the model reads', async () => {
    const h = await harness([
      { toolCalls: [{ name: 'read_file', args: '{"path": "a.txt"' }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'ok' } }] },
    ])
    const result = await h.run({ api, stream: true })
    expect(result.summary).toBe('ok')
    const output = ofType(h.events, 'tool_result')[0]!
    expect(output.ok).toBe(false)
    expect(output.output).toMatch(/^Error: the arguments are not valid JSON/)
    const sent = JSON.stringify(h.server.requests[1]!.body)
    expect(sent).toContain('the arguments are not valid JSON')
  })
})

describe('a whole (unstreamed) reply that is not a completion', () => {
  it('is retried, never handed on: an HTML page with status 200, a truncated JSON body', async () => {
    const server = await startModelServer([
      { fault: 'raw', status: 200, contentType: 'text/html', body: '<html>Sign in to the proxy</html>' },
      { fault: 'raw', status: 200, contentType: 'application/json', body: '{"id":"chatcmpl-1","choices":[' },
      { text: 'whole' },
    ])
    const client = createModelClient({ apiKey: API_KEY, baseURL: server.baseURL })
    const reasons: string[] = []
    const completion = await completeWithRetry(
      client,
      { model: 'test-model', messages: [{ role: 'user', content: 'hi' }] },
      {
        deadline: Date.now() + 10_000,
        retry: { baseDelayMs: 1, maxDelayMs: 5 },
        onRetry: (_attempt, _delay, reason) => reasons.push(reason),
      },
    )
    await server.close()
    expect(reasons).toEqual(['reply not a completion', 'reply not valid JSON'])
    expect(completion.choices[0]!.message.content).toBe('whole')
  })
})
