// @vitest-environment happy-dom
import { taskEvents, stubLayout } from './task-fake-api'
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { TaskEventBody } from '../../../src/shared/events'
import { Timeline } from '../../../src/renderer/src/features/task/timeline'
import { TimelineBuilder } from '../../../src/renderer/src/features/task/timeline-model'

beforeAll(() => stubLayout())
afterEach(cleanup)

const usage: TaskEventBody = { type: 'usage', step: 1, promptTokens: 10, completionTokens: 2, costUsd: 0 }

/** Folds the events in pieces, as they arrive, and returns the builder. */
function fold(...batches: TaskEventBody[][]): TimelineBuilder {
  const builder = new TimelineBuilder()
  const all: TaskEventBody[] = []
  for (const batch of batches) {
    all.push(...batch)
    builder.push(taskEvents('t1', all))
  }
  return builder
}

const blocked: TaskEventBody = {
  type: 'network_blocked',
  phase: 'agent',
  host: 'evil.example',
  port: 443,
  rule: 'not in the allowlist',
}

const kinds = (b: TimelineBuilder): string[] => b.items.map((i) => i.kind)

describe('the timeline while a reply streams', () => {
  test('partial text shows as one row with a "writing…" caret, as it arrives', () => {
    const builder = fold(
      [{ type: 'model_text_delta', step: 1, text: 'Let me ' }],
      [{ type: 'model_text_delta', step: 1, text: 'look at ' }],
    )
    expect(builder.items).toEqual([
      expect.objectContaining({ kind: 'message', text: 'Let me look at ', streaming: true }),
    ])
    render(<Timeline items={builder.items} />)
    expect(screen.getByText(/Let me look at/)).toBeTruthy()
    expect(screen.getByRole('status', { name: 'writing…' })).toBeTruthy()
  })

  test("the step's model_text replaces the partial text in place (same row, same key)", () => {
    const builder = fold(
      [{ type: 'model_text_delta', step: 1, text: 'Let me look' }],
      [{ type: 'model_text_delta', step: 1, text: ' at it.' }, usage],
      [{ type: 'model_text', step: 1, text: 'Let me look at it.' }],
    )
    expect(kinds(builder)).toEqual(['message', 'usage'])
    const row = builder.items[0]!
    expect(row).toMatchObject({ kind: 'message', key: 'e0', text: 'Let me look at it.' })
    expect('streaming' in row && row.streaming).toBeFalsy()
    render(<Timeline items={builder.items} />)
    expect(screen.queryByRole('status', { name: 'writing…' })).toBeNull()
  })

  test('a reset discards the partial text and drafts of that step; the retry streams afresh', () => {
    const builder = fold(
      [
        { type: 'tool_call', step: 0, callId: 'old', name: 'shell', args: { command: 'ls' } },
        { type: 'model_text_delta', step: 1, text: 'Half a sent' },
        { type: 'tool_call_delta', step: 1, index: 0, callId: 'c1', name: 'shell', argsDelta: '{"comm' },
        blocked,
      ],
      [
        { type: 'model_stream_reset', step: 1, reason: 'stream dropped' },
        { type: 'retry', step: 1, attempt: 1, delayMs: 1000, reason: 'stream dropped' },
      ],
      [
        { type: 'model_text_delta', step: 1, text: 'Whole.' },
        blocked,
        {
          type: 'tool_result',
          step: 0,
          callId: 'old',
          name: 'shell',
          ok: true,
          output: 'a\n',
          durationMs: 3,
        },
        usage,
        { type: 'model_text', step: 1, text: 'Whole.' },
      ],
    )
    expect(kinds(builder)).toEqual(['tool', 'blocked', 'retry', 'message', 'usage'])
    expect(builder.items[3]).toMatchObject({ text: 'Whole.' })
    // The rows' indices moved: a repeat still finds its row, a result its call.
    expect(builder.items[1]).toMatchObject({ kind: 'blocked', count: 2 })
    expect(builder.items[0]).toMatchObject({ kind: 'tool', result: { ok: true, output: 'a\n' } })
    render(<Timeline items={builder.items} />)
    expect(screen.queryByText(/Half a sent/)).toBeNull()
  })

  test('a tool call shows with its name and arguments so far, then becomes the call', () => {
    const builder = fold([
      { type: 'tool_call_delta', step: 2, index: 0, callId: 'c9', name: 'write_file', argsDelta: '' },
      { type: 'tool_call_delta', step: 2, index: 0, argsDelta: '{"path":"notes.md",' },
      { type: 'tool_call_delta', step: 2, index: 0, argsDelta: '"content":"hel' },
    ])
    expect(builder.items).toEqual([
      expect.objectContaining({
        kind: 'tool_draft',
        name: 'write_file',
        argsText: '{"path":"notes.md","content":"hel',
      }),
    ])
    const { unmount } = render(<Timeline items={builder.items} />)
    expect(screen.getByText('write_file')).toBeTruthy()
    expect(screen.getByText(/"content":"hel/)).toBeTruthy()
    unmount()

    const args = { path: 'notes.md', content: 'hello' }
    const done = fold(
      [
        { type: 'tool_call_delta', step: 2, index: 0, callId: 'c9', name: 'write_file', argsDelta: '' },
        { type: 'tool_call_delta', step: 2, index: 0, argsDelta: JSON.stringify(args) },
      ],
      [
        { type: 'tool_call', step: 2, callId: 'c9', name: 'write_file', args },
        {
          type: 'tool_result',
          step: 2,
          callId: 'c9',
          name: 'write_file',
          ok: true,
          output: 'ok',
          durationMs: 1,
        },
      ],
    )
    expect(done.items).toEqual([
      expect.objectContaining({
        kind: 'tool',
        key: 'e0',
        args,
        result: expect.objectContaining({ ok: true }),
      }),
    ])
  })

  test('what a stream left unfinished goes when the next step or a status comes', () => {
    const builder = fold([
      { type: 'model_text_delta', step: 1, text: '  ' },
      { type: 'tool_call_delta', step: 1, index: 1, callId: 'never', name: 'shell', argsDelta: '{}' },
      usage,
      { type: 'status', status: 'review' },
    ])
    expect(kinds(builder)).toEqual(['usage', 'status'])
  })

  test('reloading the same events gives the same rows', () => {
    const events: TaskEventBody[] = [
      { type: 'model_text_delta', step: 1, text: 'a' },
      { type: 'model_stream_reset', step: 1, reason: 'stream dropped' },
      { type: 'model_text_delta', step: 1, text: 'b' },
      usage,
      { type: 'model_text', step: 1, text: 'b' },
    ]
    const live = fold(...events.map((e) => [e]))
    const reloaded = fold(events)
    expect(reloaded.items).toEqual(live.items)
  })
})
