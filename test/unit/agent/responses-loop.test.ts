import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/shared/events'
import { reasoningOf } from '../../../src/main/agent/responses-call'
import { FACT, startLongTask } from './compaction-fixture'
import { harness } from './harness'

const ofType = <T extends AgentEvent['type']>(events: AgentEvent[], type: T) =>
  events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type)

type Item = { type?: string; role?: string; call_id?: string; id?: string; encrypted_content?: string }
const inputOf = (body: Record<string, unknown>): Item[] => body.input as Item[]

describe('the loop over the Responses API (through the real client)', () => {
  it('carries reasoning items back, in order, in front of their function calls; counts cached tokens', async () => {
    const h = await harness([
      {
        reasoning: [{ encrypted_content: 'enc-A', summary: 'first thought' }, { encrypted_content: 'enc-B' }],
        text: 'Reading the file.',
        toolCalls: [{ name: 'read_file', args: { path: 'a.txt' } }],
        usage: { prompt_tokens: 500, completion_tokens: 50, cached_tokens: 400 },
      },
      {
        reasoning: [{ encrypted_content: 'enc-C' }],
        toolCalls: [{ name: 'finish', args: { summary: 'done' } }],
        usage: { prompt_tokens: 700, completion_tokens: 10, cached_tokens: 500 },
      },
    ])
    const result = await h.run({ api: 'responses', stream: true, reasoningEffort: 'high' })

    expect(h.server.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/responses'])
    const first = h.server.requests[0]!.body
    expect(first).toMatchObject({
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'high' },
      instructions: 'You are a test agent.',
    })
    expect(inputOf(first)).toEqual([{ role: 'user', content: 'Do the thing' }])

    const second = inputOf(h.server.requests[1]!.body)
    const kinds = second.map((i) => i.type ?? i.role)
    expect(kinds).toEqual([
      'user',
      'reasoning',
      'reasoning',
      'assistant',
      'function_call',
      'function_call_output',
    ])
    expect(second.filter((i) => i.type === 'reasoning').map((i) => [i.id, i.encrypted_content])).toEqual([
      ['rs_0_0', 'enc-A'],
      ['rs_0_1', 'enc-B'],
    ])
    expect(second[4]).toMatchObject({ call_id: 'call_0_0' })

    // The history keeps them on the assistant message (conversation.json, follow-ups).
    const assistant = result.messages.find((m) => m.role === 'assistant')!
    expect(reasoningOf(assistant)?.map((r) => r.encrypted_content)).toEqual(['enc-A', 'enc-B'])
    expect(result.usage).toMatchObject({
      steps: 2,
      promptTokens: 1200,
      completionTokens: 60,
      cachedPromptTokens: 900,
    })
    expect(ofType(h.events, 'model_text').map((e) => e.text)).toEqual(['Reading the file.'])
  })

  it('streams text and a tool call (name first, then arguments) to the timeline', async () => {
    const h = await harness([
      {
        text: 'I will write the file now.',
        chunkDelayMs: 20,
        toolCalls: [{ name: 'write_file', args: { path: 'b.txt', content: 'hello\n' } }],
      },
      { toolCalls: [{ name: 'finish', args: { summary: 'written' } }] },
    ])
    await h.run({ api: 'responses', stream: true })
    const step1 = h.events.filter((e) => e.step === 1)
    const texts = ofType(step1, 'model_text_delta').map((e) => e.text)
    expect(texts.length).toBeGreaterThan(1)
    expect(texts.join('')).toBe('I will write the file now.')
    const calls = ofType(step1, 'tool_call_delta')
    expect(calls[0]).toMatchObject({ index: 0, name: 'write_file', callId: 'call_0_0' })
    expect(calls.map((c) => c.argsDelta).join('')).toBe(JSON.stringify({ path: 'b.txt', content: 'hello\n' }))
    const kinds = step1.map((e) => e.type)
    expect(kinds.lastIndexOf('tool_call_delta')).toBeLessThan(kinds.indexOf('tool_call'))
  })

  it('retries a stream dropped mid-reply as a whole call, its usage counted once', async () => {
    const h = await harness([
      {
        text: 'This first attempt will be cut off in the middle of it',
        chunkDelayMs: 20,
        dropAfterEvents: 8,
        usage: { prompt_tokens: 9000, completion_tokens: 900 },
      },
      { text: 'The whole answer.', usage: { prompt_tokens: 100, completion_tokens: 20 } },
    ])
    const result = await h.run({ api: 'responses', stream: true })
    expect(h.server.requests).toHaveLength(2)
    const kinds = h.events.map((e) => e.type)
    const reset = kinds.indexOf('model_stream_reset')
    expect(reset).toBeGreaterThan(kinds.indexOf('model_text_delta'))
    expect(ofType(h.events, 'retry')[0]!.reason).toBe('stream dropped')
    expect(ofType(h.events, 'model_text').map((e) => e.text)).toEqual(['The whole answer.'])
    expect(ofType(h.events, 'usage')).toHaveLength(1)
    expect(result.usage).toMatchObject({ promptTokens: 100, completionTokens: 20, steps: 1 })
  })

  it('a "context length exceeded" refusal compacts the history, the summary call over the Responses API too', async () => {
    const task = await startLongTask({
      steps: 20,
      serverWindow: 30_000,
      clientWindow: 1_000_000,
      extra: { api: 'responses', stream: true },
    })
    const result = await task.run()
    expect(result.summary).toContain('Ran 19 rounds')
    expect(result.summary).toContain(FACT)
    expect(task.server.sizes.filter((s) => s.refused)).toHaveLength(1)
    expect(task.events.filter((e) => e.type === 'compaction').length).toBeGreaterThanOrEqual(1)
    expect(task.stats.compactionCalls).toBeGreaterThanOrEqual(1)
    expect(new Set(task.server.requests.map((r) => r.path))).toEqual(new Set(['/v1/responses']))
  })
})
