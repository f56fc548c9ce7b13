import { describe, expect, it } from 'vitest'
import { retryInput } from '../../../src/renderer/src/features/task/retry-input'
import { TimelineBuilder } from '../../../src/renderer/src/features/task/timeline-model'
import type { TaskEvent, TaskEventBody } from '../../../src/shared/events'
import { defaultSettings } from '../../../src/shared/settings'
import { emptyUsage, submitTaskInputSchema, type TaskRecord } from '../../../src/shared/task'

const events = (bodies: TaskEventBody[]): TaskEvent[] =>
  bodies.map((body, seq) => ({ ...body, taskId: 't', seq, at: '2026-01-01T00:00:00.000Z' }) as TaskEvent)

const call = (callId: string, step: number): TaskEventBody => ({
  type: 'tool_call',
  step,
  callId,
  name: 'shell',
  args: { command: 'sleep 120' },
})

describe('the task page around a resume', () => {
  it('shows a tool call the crash left without a result as cut off, not running', () => {
    const builder = new TimelineBuilder()
    builder.push(
      events([
        { type: 'status', status: 'running' },
        call('c1', 1),
        { type: 'tool_result', step: 1, callId: 'c1', name: 'shell', ok: true, output: '', durationMs: 5 },
        call('c2', 2),
        { type: 'status', status: 'interrupted' },
        { type: 'status', status: 'running', message: 'Resume' },
        call('c3', 3),
      ]),
    )
    const tools = builder.items.filter((i) => i.kind === 'tool')
    expect(tools.map((t) => [t.key, Boolean(t.result), Boolean(t.cutOff)])).toEqual([
      ['e1', true, false],
      ['e3', false, true],
      ['e6', false, false],
    ])
  })

  it('retries from scratch with the same source, prompt and options', () => {
    const task: TaskRecord = {
      id: 'x',
      title: 'Fix it',
      prompt: 'fix the test',
      source: { kind: 'git', url: 'https://example.com/o/r.git', branch: 'dev' },
      status: 'interrupted',
      model: 'gpt-x',
      runtime: 'codex',
      focusFiles: ['a.ts'],
      setupScript: 'npm ci',
      limits: { ...defaultSettings().limits, maxSteps: 7 },
      network: { setup: defaultSettings().network.setup, agent: defaultSettings().network.agent },
      createdAt: '',
      updatedAt: '',
      usage: emptyUsage(),
      turns: 0,
    }
    const input = submitTaskInputSchema.parse(retryInput(task))
    expect(input).toMatchObject({
      source: task.source,
      prompt: task.prompt,
      title: task.title,
      focusFiles: ['a.ts'],
      model: 'gpt-x',
      runtime: 'codex',
      setupScript: 'npm ci',
      limits: { maxSteps: 7 },
      network: task.network,
    })
  })
})
