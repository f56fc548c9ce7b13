import { describe, expect, it } from 'vitest'
import { droppedMessage } from '../../../src/main/engine/turn-review'

describe('the timeline note of dropped left-out hunks', () => {
  it('shows hostile file names with their control characters escaped (no line break, no escape sequence)', () => {
    const key = 'a'.repeat(40)
    const text = droppedMessage([
      { path: 'a\nstatus → done', key },
      { path: '\u001b[2Jb.ts', key },
    ])
    expect(text).toBe(
      '2 left-out hunks no longer exist after this turn and were dropped: a\\u{a}status → done, \\u{1b}[2Jb.ts',
    )
  })
})
