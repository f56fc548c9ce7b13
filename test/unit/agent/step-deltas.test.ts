import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/shared/events'
import { redact } from '../../../src/main/agent/model'
import { secretTail, StepDeltas } from '../../../src/main/agent/step-deltas'
import { API_KEY, harness } from './harness'

const half = Math.floor(API_KEY.length / 2)
const [head, tail] = [API_KEY.slice(0, half), API_KEY.slice(half)]

const deltaText = (events: AgentEvent[]): string[] =>
  events.flatMap((e) =>
    e.type === 'model_text_delta' ? [e.text] : e.type === 'tool_call_delta' ? [e.argsDelta] : [],
  )

describe('redaction across streamed deltas', () => {
  it('holds back a tail that could start a secret until the next piece says', () => {
    expect(secretTail(`see ${head}`, [API_KEY])).toBe(head.length)
    expect(secretTail('nothing here', [API_KEY])).toBe(0)
    expect(secretTail('ends with s', [API_KEY])).toBe(1)
    expect(secretTail(`whole ${API_KEY}`, [API_KEY])).toBe(0)
  })

  it('a key split across two pieces (text and tool arguments) never shows, even in part', async () => {
    const events: AgentEvent[] = []
    // intervalMs 0: each piece goes out at once, as on a slow stream.
    const deltas = new StepDeltas(
      1,
      (e) => events.push(e),
      (t) => redact(t, [API_KEY]),
      0,
      [API_KEY],
    )
    deltas.text(`The key is ${head}`)
    deltas.toolCall(0, { callId: 'c1', name: 'shell', argsDelta: `{"command":"echo ${head}` })
    await new Promise((r) => setTimeout(r, 5))
    expect(deltaText(events).join('')).not.toContain(head.slice(0, 6))
    deltas.text(`${tail} and more.`)
    deltas.toolCall(0, { argsDelta: `${tail}"}` })
    await new Promise((r) => setTimeout(r, 5))
    deltas.flush()
    const text = events.flatMap((e) => (e.type === 'model_text_delta' ? [e.text] : []))
    expect(text.join('')).toBe('The key is [redacted] and more.')
    const args = events.flatMap((e) => (e.type === 'tool_call_delta' ? [e.argsDelta] : []))
    expect(args.join('')).toBe('{"command":"echo [redacted]"}')
    expect(events.find((e) => e.type === 'tool_call_delta')).toMatchObject({ name: 'shell', callId: 'c1' })
    expect(deltaText(events).join('')).not.toContain(head.slice(0, 6))
  })

  it('through the loop: a key the model streams in two chunks is redacted in the deltas', async () => {
    const h = await harness([
      {
        text: `The key is ${API_KEY} indeed.`,
        chunks: [`The key is ${head}`, `${tail} indeed.`],
        chunkDelayMs: 120,
      },
    ])
    await h.run({ stream: true })
    const deltas = deltaText(h.events)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('The key is [redacted] indeed.')
    for (const d of deltas) expect(d).not.toContain(head.slice(0, 6))
  })
})
