// @vitest-environment happy-dom
import { fake, ok, stubLayout, taskEvents, taskRecord } from './task-fake-api'
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, beforeAll, expect, test } from 'vitest'
import type { TaskEventBody } from '../../../src/shared/events'
import type { TaskRecord } from '../../../src/shared/task'
import { Timeline } from '../../../src/renderer/src/features/task/timeline'
import { TimelineBuilder } from '../../../src/renderer/src/features/task/timeline-model'
import { TaskPage } from '../../../src/renderer/src/features/task/task-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

const unpriced: TaskEventBody[] = [
  { type: 'usage', step: 1, promptTokens: 900, completionTokens: 100, costUsd: 0, costKnown: false },
  { type: 'usage', step: 2, promptTokens: 950, completionTokens: 50, costUsd: 0, costKnown: false },
]

test('the timeline shows "cost unknown" on each unpriced step and says once that tokens are the budget', () => {
  const builder = new TimelineBuilder()
  builder.push(taskEvents('t1', unpriced))
  render(<Timeline items={builder.items} />)
  expect(screen.getAllByText(/cost unknown$/)).toHaveLength(2)
  expect(screen.queryByText(/\$0/)).toBeNull()
  expect(screen.getAllByText(/the budget is enforced in tokens only/)).toHaveLength(1)
})

test('a priced step still shows its cost and no note', () => {
  const builder = new TimelineBuilder()
  builder.push(
    taskEvents('t1', [{ type: 'usage', step: 1, promptTokens: 1200, completionTokens: 80, costUsd: 0.0021 }]),
  )
  render(<Timeline items={builder.items} />)
  expect(screen.getByText(/\$0\.0021/)).toBeTruthy()
  expect(screen.queryByText(/cost unknown/)).toBeNull()
})

async function show(record: TaskRecord): Promise<void> {
  fake.handlers = {
    'tasks.list': () => ok([record]),
    'tasks.events': ({ id }) => ok(taskEvents(id, unpriced)),
  }
  await taskListStore().reload()
  render(<TaskPage id={record.id} />)
  await screen.findByRole('heading', { name: 'Add input validation' })
}

test('the task header shows "cost unknown" instead of $0 for a model without a price', async () => {
  const usage = { steps: 2, promptTokens: 1850, completionTokens: 150, costUsd: 0, costKnown: false }
  await show(taskRecord({ id: 'u1', model: 'my-local-llm', usage }))
  const stat = screen.getByText('cost unknown', { selector: '.stat-value' })
  expect(stat.closest('.stat')?.getAttribute('title')).toMatch(/cost limit .* cannot be checked/)
  expect(screen.queryByText('$0', { selector: '.stat-value' })).toBeNull()
})
