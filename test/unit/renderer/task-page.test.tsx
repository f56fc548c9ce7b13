// @vitest-environment happy-dom
import { fake, ok, stubLayout, taskEvents, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { TaskRecord } from '../../../src/shared/task'
import { TaskPage } from '../../../src/renderer/src/features/task/task-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

let records: TaskRecord[] = []
beforeEach(async () => {
  fake.calls.length = 0
  fake.handlers = {
    'tasks.list': () => ok(records),
    'tasks.events': ({ id }) =>
      ok(
        taskEvents(id, [
          { type: 'status', status: 'running' },
          { type: 'usage', step: 1, promptTokens: 1500, completionTokens: 500, costUsd: 0.25 },
          { type: 'tool_call', step: 1, callId: 'c1', name: 'shell', args: { command: 'ls -la' } },
        ]),
      ),
    'tasks.cancel': ({ id }) => ok(taskRecord({ id, status: 'cancelled' })),
    'tasks.artifact': ({ name }) => ok({ name, content: 'first log line\nsecond log line\n' }),
  }
})

async function show(record: TaskRecord): Promise<void> {
  records = [record]
  await taskListStore().reload()
  render(<TaskPage id={record.id} />)
  await screen.findByText('ls -la')
}

test('the header shows the title, status, source, steps, tokens and cost; the timeline streams', async () => {
  const usage = { steps: 3, promptTokens: 12_000, completionTokens: 3_400, costUsd: 0.42 }
  await show(taskRecord({ id: 'h1', usage }))
  expect(screen.getByRole('heading', { name: 'Add input validation' })).toBeTruthy()
  expect(screen.getByText('Running', { selector: '.status-badge' })).toBeTruthy()
  expect(screen.getByText(/acme\/shop @ main/)).toBeTruthy()
  expect(screen.getByText('15k')).toBeTruthy()
  expect(screen.getByText('$0.42')).toBeTruthy()
  expect(screen.getByText('running', { exact: false, selector: '.tool-state' })).toBeTruthy()

  // A result and a message arrive as events; the record's usage is updated live.
  act(() => {
    for (const event of taskEvents(
      'h1',
      [
        {
          type: 'tool_result',
          step: 1,
          callId: 'c1',
          name: 'shell',
          ok: true,
          output: 'README.md',
          durationMs: 12,
        },
        { type: 'model_text', step: 2, text: 'The form lives in src/signup.ts.' },
      ],
      3,
    ))
      fake.emit({ kind: 'task', event })
    fake.emit({ kind: 'task-updated', task: taskRecord({ id: 'h1', usage: { ...usage, costUsd: 1.5 } }) })
  })
  expect(await screen.findByText('The form lives in src/signup.ts.')).toBeTruthy()
  expect(screen.getByText('README.md')).toBeTruthy()
  expect(screen.getByText('$1.50')).toBeTruthy()
})

test('Cancel asks first; Esc keeps the task running; confirming calls tasks.cancel', async () => {
  await show(taskRecord({ id: 'c1' }))
  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
  expect(screen.getByText('Stop this task?')).toBeTruthy()
  fireEvent.keyDown(window, { key: 'Escape' })
  expect(screen.queryByText('Stop this task?')).toBeNull()
  expect(fake.callsOf('tasks.cancel')).toHaveLength(0)

  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
  fireEvent.click(screen.getByRole('button', { name: 'Yes, stop it' }))
  await waitFor(() => expect(fake.callsOf('tasks.cancel')).toEqual([{ id: 'c1' }]))
})

test('a task in review offers "Review changes", which opens the review', async () => {
  await show(taskRecord({ id: 'r1', status: 'review', finishedAt: new Date().toISOString() }))
  expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull()
  fireEvent.click(screen.getByRole('button', { name: /Review changes/ }))
  expect(window.location.hash).toBe('#/task/r1/review')
})

test('a failed task shows its error with what to do, and opens agent.log in a viewer', async () => {
  const error = {
    kind: 'setup_failed' as const,
    message: 'The setup script exited with code 2.',
    hint: 'Read setup.log.',
  }
  await show(taskRecord({ id: 'f1', status: 'failed', error, finishedAt: new Date().toISOString() }))
  expect(screen.getByText('The setup script exited with code 2.')).toBeTruthy()
  expect(screen.getByText('Read setup.log.')).toBeTruthy()
  fireEvent.click(screen.getByRole('button', { name: 'Open agent.log' }))
  const dialog = await screen.findByRole('dialog', { name: 'agent.log' })
  expect(await screen.findByText('second log line')).toBeTruthy()
  expect(fake.callsOf('tasks.artifact')).toEqual([{ id: 'f1', name: 'agent.log' }])
  fireEvent.keyDown(window, { key: 'Escape' })
  expect(dialog.isConnected).toBe(false)
})

test('every artifact is one click away', async () => {
  await show(taskRecord({ id: 'a1' }))
  for (const name of ['agent.log', 'setup.log', 'diff.patch', 'prompt.md', 'summary.md']) {
    fireEvent.click(screen.getByRole('button', { name }))
    await screen.findByRole('dialog', { name })
    fireEvent.click(screen.getByRole('button', { name: /Close/ }))
  }
  expect(fake.callsOf('tasks.artifact').map((c) => c.name)).toEqual([
    'agent.log',
    'setup.log',
    'diff.patch',
    'prompt.md',
    'summary.md',
  ])
})

test('import progress shows as a bar while the task prepares', async () => {
  records = [taskRecord({ id: 'p1', status: 'preparing' })]
  await taskListStore().reload()
  fake.handlers['tasks.events'] = ({ id }) =>
    ok(taskEvents(id, [{ type: 'progress', phase: 'import', message: 'Extracting shop.zip', ratio: 0.4 }]))
  render(<TaskPage id="p1" />)
  const bar = await screen.findByRole('progressbar', { name: 'Extracting shop.zip' })
  expect(bar.getAttribute('aria-valuenow')).toBe('40')
})
