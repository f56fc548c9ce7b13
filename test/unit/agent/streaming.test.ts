import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/shared/events'
import { formatLogLine } from '../../../src/main/engine/agent-log'
import type { ScriptStep } from '../../support/model-server'
import { createModelClient } from '../../../src/main/agent/model'
import { API_KEY, harness, type Harness } from './harness'

type Timed = { e: AgentEvent; t: number }

/** Runs with streaming on, noting when each event arrived. */
async function runTimed(
  h: Harness,
  stream = true,
): Promise<{ timed: Timed[]; result: Awaited<ReturnType<Harness['run']>> }> {
  const timed: Timed[] = []
  const result = await h.run({
    stream,
    onEvent: (e) => {
      h.events.push(e)
      timed.push({ e, t: Date.now() })
    },
  })
  return { timed, result }
}

const ofType = <T extends AgentEvent['type']>(events: AgentEvent[], type: T) =>
  events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type)

const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ')

describe('streamed model calls (Chat Completions, through the real client)', () => {
  it('sends text deltas to subscribers while the reply is written, then the complete model_text', async () => {
    const text = 'Let me look at the file before I change it.'
    const h = await harness([
      { text, chunkDelayMs: 80, toolCalls: [{ name: 'read_file', args: { path: 'missing.txt' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'done' } }] },
    ])
    const { timed } = await runTimed(h)

    const body = h.server.requests[0]!.body
    expect(body.stream).toBe(true)
    expect(body.stream_options).toEqual({ include_usage: true })
    const deltas = timed.filter((x) => x.e.type === 'model_text_delta' && x.e.step === 1)
    // 10 pieces 80 ms apart: each gets its own delta (the coalescing window is 50 ms).
    expect(deltas.length).toBeGreaterThanOrEqual(5)
    const finishedAt = h.server.requests[0]!.finishedAt!
    // The first words are seen while the server is still writing the rest (9 pauses of 80 ms).
    expect(deltas[0]!.t).toBeLessThan(finishedAt - 400)
    expect(deltas.map((x) => (x.e as { text: string }).text).join('')).toBe(text)
    const kinds = timed.filter((x) => x.e.step === 1).map((x) => x.e.type)
    const lastDelta = kinds.lastIndexOf('model_text_delta')
    expect(lastDelta).toBeLessThan(kinds.indexOf('usage'))
    expect(lastDelta).toBeLessThan(kinds.indexOf('model_text'))
    expect(ofType(h.events, 'model_text')[0]!.text).toBe(text)
  })

  it('coalesces a fast stream: at most one delta event per ~50 ms a step', async () => {
    const text = words(400)
    const h = await harness([{ text }])
    await runTimed(h)
    const deltas = ofType(h.events, 'model_text_delta')
    expect(deltas.length).toBeLessThanOrEqual(5)
    expect(deltas.map((d) => d.text).join('')).toBe(text)
  })

  it('assembles exactly the messages the non-streaming call returns', async () => {
    const script: ScriptStep[] = [
      {
        text: 'Reading two files.',
        toolCalls: [
          { name: 'read_file', args: { path: 'a.txt' } },
          { name: 'shell', args: { command: 'echo "quoted \\" text" && ls' } },
        ],
        usage: { prompt_tokens: 300, completion_tokens: 40, cached_tokens: 100 },
      },
      { toolCalls: [{ name: 'write_file', args: { path: 'b.txt', content: 'ünïcode\nline 2\n' } }] },
      { toolCalls: [{ name: 'nope', args: '{"broken' }] },
      { text: 'All done: b.txt written.' },
    ]
    const plain = await harness(script)
    const streamed = await harness(script)
    const a = await runTimed(plain, false)
    const b = await runTimed(streamed, true)
    expect(b.result.messages).toEqual(a.result.messages)
    expect(b.result.usage).toEqual(a.result.usage)
    const complete = (events: AgentEvent[]): AgentEvent[] =>
      events
        .filter((e) => !e.type.endsWith('_delta'))
        .map((e) => ('durationMs' in e ? { ...e, durationMs: 0 } : e))
    expect(complete(streamed.events)).toEqual(complete(plain.events))
  })

  it('shows a tool call as soon as its name is known, its arguments filling in', async () => {
    const args = { path: 'notes/plan.md', content: words(30) }
    const h = await harness([
      {
        toolCalls: [
          { name: 'write_file', args },
          { name: 'read_file', args: { path: 'x' } },
        ],
        chunkDelayMs: 60,
      },
      { toolCalls: [{ name: 'finish', args: { summary: 'ok' } }] },
    ])
    const { timed } = await runTimed(h)
    const step1 = timed.filter((x) => x.e.step === 1)
    const deltas = step1.filter((x) => x.e.type === 'tool_call_delta').map((x) => x.e) as Array<
      Extract<AgentEvent, { type: 'tool_call_delta' }>
    >
    const first = deltas.filter((d) => d.index === 0)
    expect(first[0]).toMatchObject({ callId: 'call_0_0', name: 'write_file' })
    expect(first.map((d) => d.argsDelta).join('')).toBe(JSON.stringify(args))
    expect(deltas.filter((d) => d.index === 1)[0]).toMatchObject({ callId: 'call_0_1', name: 'read_file' })
    // The name is out before the arguments arrived (one chunk, 60 ms later).
    const named = step1.find((x) => x.e.type === 'tool_call_delta')!
    expect(named.e).toMatchObject({ argsDelta: '' })
    const call = step1.find((x) => x.e.type === 'tool_call')!
    expect(call.t - named.t).toBeGreaterThanOrEqual(40)
    expect(step1.indexOf(named)).toBeLessThan(step1.indexOf(call))
  })

  it('records the usage of the final chunk once a step', async () => {
    const h = await harness([
      {
        text: 'one',
        usage: { prompt_tokens: 1234, completion_tokens: 56, cached_tokens: 34 },
        chunkDelayMs: 5,
      },
    ])
    const { result } = await runTimed(h)
    expect(h.server.requests[0]!.body.stream).toBe(true)
    const usage = ofType(h.events, 'usage')
    expect(usage).toHaveLength(1)
    expect(usage[0]).toMatchObject({ promptTokens: 1234, completionTokens: 56, cachedPromptTokens: 34 })
    expect(result.usage).toMatchObject({ promptTokens: 1234, completionTokens: 56, steps: 1 })
  })

  it('retries a stream dropped mid-reply as a whole call: a reset, its usage once', async () => {
    const h = await harness([
      {
        text: 'This first attempt will be cut off in the middle',
        chunkDelayMs: 30,
        dropAfterEvents: 4,
        usage: { prompt_tokens: 9000, completion_tokens: 900 },
      },
      { text: 'The whole answer.', usage: { prompt_tokens: 100, completion_tokens: 20 } },
    ])
    const { result } = await runTimed(h)
    expect(h.server.requests).toHaveLength(2)
    const kinds = h.events.map((e) => e.type)
    const reset = kinds.indexOf('model_stream_reset')
    expect(reset).toBeGreaterThan(kinds.indexOf('model_text_delta'))
    expect(kinds[reset + 1]).toBe('retry')
    expect(ofType(h.events, 'retry')[0]!.reason).toBe('stream dropped')
    const after = h.events.slice(reset).filter((e) => e.type === 'model_text_delta')
    expect(after.map((e) => (e as { text: string }).text).join('')).toBe('The whole answer.')
    expect(ofType(h.events, 'model_text').map((e) => e.text)).toEqual(['The whole answer.'])
    expect(ofType(h.events, 'usage')).toHaveLength(1)
    expect(result.usage).toMatchObject({ promptTokens: 100, completionTokens: 20, steps: 1 })
  })

  it('fails with a clear error when every attempt drops, the partial text reset each time', async () => {
    const drop: ScriptStep = { text: 'cut off again and again', chunkDelayMs: 10, dropAfterEvents: 3 }
    const h = await harness([drop, drop, drop])
    const err = await h.fail({ stream: true, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } })
    expect(err.kind).toBe('model_error')
    expect(err.message).toMatch(/kept failing \(3 attempts\): stream dropped/)
    expect(ofType(h.events, 'model_stream_reset')).toHaveLength(3)
    expect(ofType(h.events, 'model_text')).toHaveLength(0)
  })

  it('retries a stream that stalls past the timeout, as a whole call', async () => {
    const h = await harness([
      { text: 'slow words that stall and stall and stall', chunkDelayMs: 200 },
      { text: 'Quick answer.', usage: { prompt_tokens: 100, completion_tokens: 20 } },
    ])
    const client = createModelClient({ apiKey: API_KEY, baseURL: h.server.baseURL, timeoutMs: 300 })
    const started = Date.now()
    const result = await h.run({ stream: true, client })
    // The whole stream would take 1.6 s: it is cut at 0.3 s.
    expect(Date.now() - started).toBeLessThan(1200)
    expect(ofType(h.events, 'model_stream_reset')[0]!.reason).toBe('stream timed out')
    expect(ofType(h.events, 'retry')[0]!.reason).toBe('stream dropped')
    expect(ofType(h.events, 'model_text').map((e) => e.text)).toEqual(['Quick answer.'])
    expect(result.usage).toMatchObject({ promptTokens: 100, completionTokens: 20 })
  })

  it('a task cancelled mid-stream resets the partial text and ends cancelled', async () => {
    const h = await harness([{ text: 'words that will never be finished at all', chunkDelayMs: 100 }])
    const stop = new AbortController()
    const err = await h.fail({
      stream: true,
      signal: stop.signal,
      onEvent: (e) => {
        h.events.push(e)
        if (e.type === 'model_text_delta') setTimeout(() => stop.abort(), 20)
      },
    })
    expect(err.kind).toBe('cancelled')
    expect(ofType(h.events, 'model_stream_reset').map((e) => e.reason)).toEqual(['cancelled'])
    expect(ofType(h.events, 'model_text')).toHaveLength(0)
    expect(ofType(h.events, 'retry')).toHaveLength(0)
  })

  it('keeps deltas out of agent.log', () => {
    const at = '2026-12-01T16:00:00.000Z'
    const base = { taskId: 't', seq: 1, at }
    expect(formatLogLine({ ...base, type: 'model_text_delta', step: 1, text: 'partial' })).toBe('')
    expect(formatLogLine({ ...base, type: 'tool_call_delta', step: 1, index: 0, argsDelta: '{' })).toBe('')
    expect(formatLogLine({ ...base, type: 'model_stream_reset', step: 1, reason: 'stream dropped' })).toBe('')
    expect(formatLogLine({ ...base, type: 'model_text', step: 1, text: 'whole' })).toContain('model: whole')
  })
})
