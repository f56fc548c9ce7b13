import { describe, expect, it } from 'vitest'
import { eventPrinter } from '../../../src/main/cli/task'
import type { TaskEvent, TaskEventBody } from '../../../src/shared/events'

const events = (bodies: TaskEventBody[]): TaskEvent[] =>
  bodies.map((body, seq) => ({ ...body, taskId: 't1', seq, at: '2026-12-01T12:00:00.000Z' }) as TaskEvent)

describe("the CLI's progress in seed 003's words", () => {
  it('says "Cloning…" once as a clone begins, not where our own line already says it', () => {
    const out: string[] = []
    const print = eventPrinter((text) => out.push(text), { json: false })
    for (const event of events([
      { type: 'status', status: 'preparing' },
      { type: 'progress', phase: 'clone', message: 'Counting objects', ratio: 0.1 },
      { type: 'progress', phase: 'clone', message: 'Receiving objects', ratio: 0.5 },
      { type: 'progress', phase: 'clone', message: 'Cloned main at 0123456789ab', ratio: 1 },
      { type: 'progress', phase: 'container', message: 'Starting the sandbox container' },
      { type: 'status', status: 'running' },
    ]))
      print(event)
    expect(out.join('')).toBe(
      [
        '12:00:00 status → preparing',
        '12:00:00 Cloning…',
        '12:00:00 clone: Counting objects',
        '12:00:00 clone: Receiving objects',
        '12:00:00 clone: Cloned main at 0123456789ab',
        '12:00:00 container: Starting the sandbox container',
        '12:00:00 status → running',
        '',
      ].join('\n'),
    )
  })

  it('a ZIP import is not a clone; --json prints the events only', () => {
    const out: string[] = []
    const print = eventPrinter((text) => out.push(text), { json: false })
    for (const event of events([
      { type: 'progress', phase: 'import', message: 'Extracted 3 files', ratio: 1 },
    ]))
      print(event)
    expect(out.join('')).toBe('12:00:00 import: Extracted 3 files\n')
    const json: string[] = []
    const printJson = eventPrinter((text) => json.push(text), { json: true })
    for (const event of events([{ type: 'progress', phase: 'clone', message: 'Receiving objects' }]))
      printJson(event)
    expect(json).toHaveLength(1)
    expect(JSON.parse(json[0]!)).toMatchObject({ type: 'progress', phase: 'clone' })
  })
})
