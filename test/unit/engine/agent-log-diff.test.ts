import { describe, expect, it } from 'vitest'
import { formatLogLine } from '../../../src/main/engine/agent-log'
import type { TaskEvent } from '../../../src/shared/events'

describe("agent.log's diff lines", () => {
  const at = '2026-12-01T15:40:12.000Z'
  const diff = { files: 3, additions: 10, deletions: 2 }
  it('say which turn ended, when the event says it', () => {
    const event: TaskEvent = { taskId: 't', seq: 1, at, type: 'diff', diff, turn: 2 }
    expect(formatLogLine(event)).toBe('15:40:12 diff after turn 2: 3 files, +10 −2\n')
  })
  it('say no turn for a discard or its undo (no turn on the event)', () => {
    const event: TaskEvent = { taskId: 't', seq: 2, at, type: 'diff', diff }
    expect(formatLogLine(event)).toBe('15:40:12 diff: 3 files, +10 −2\n')
  })
})
