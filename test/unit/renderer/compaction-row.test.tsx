// @vitest-environment happy-dom
import { taskEvents, stubLayout } from './task-fake-api'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, beforeAll, expect, test } from 'vitest'
import { Timeline } from '../../../src/renderer/src/features/task/timeline'
import { TimelineBuilder } from '../../../src/renderer/src/features/task/timeline-model'

beforeAll(() => stubLayout())
afterEach(cleanup)

const summary = Array.from({ length: 20 }, (_, i) => `line ${i + 1} of the summary`).join('\n')

test('a compaction is a row "Context compacted: 118k → 21k tokens" whose summary can be expanded', () => {
  const builder = new TimelineBuilder()
  builder.push(
    taskEvents('t1', [
      { type: 'compaction', step: 7, beforeTokens: 118_000, afterTokens: 21_000, summary },
      { type: 'compaction', step: 9, beforeTokens: 40_000, afterTokens: 20_000, summary: '' },
    ]),
  )
  render(<Timeline items={builder.items} />)
  expect(screen.getByText(/Context compacted: 118k → 21k tokens/)).toBeTruthy()
  expect(screen.getByText(/old tool outputs shortened/)).toBeTruthy()
  expect(screen.queryByText(/line 20 of the summary/)).toBeNull()
  fireEvent.click(screen.getByRole('button', { name: /show|more|expand/i }))
  expect(screen.getByText(/line 20 of the summary/)).toBeTruthy()
})
