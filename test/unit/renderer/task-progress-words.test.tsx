// @vitest-environment happy-dom
import { fake, ok, stubLayout, taskEvents, taskRecord } from './task-fake-api'
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { TaskEventBody } from '../../../src/shared/events'
import type { TaskRecord } from '../../../src/shared/task'
import { TaskPage } from '../../../src/renderer/src/features/task/task-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

/** The task page's progress line says seed 003's words where ours differ: cloning, processing. */

beforeAll(() => stubLayout())
afterEach(cleanup)

let records: TaskRecord[] = []
let bodies: TaskEventBody[] = []
beforeEach(() => {
  fake.calls.length = 0
  bodies = []
  fake.handlers = {
    'tasks.list': () => ok(records),
    'tasks.events': ({ id }) => ok(taskEvents(id, bodies)),
  }
})

async function show(record: TaskRecord): Promise<void> {
  records = [record]
  await taskListStore().reload()
  render(<TaskPage id={record.id} />)
}

test('"Cloning…" while a git source is imported: before git reports, then with its stage and ratio', async () => {
  bodies = [{ type: 'status', status: 'preparing' }]
  await show(taskRecord({ id: 'g1', status: 'preparing' }))
  expect(await screen.findByRole('progressbar', { name: 'Cloning…' })).toBeTruthy()

  act(() => {
    for (const event of taskEvents(
      'g1',
      [{ type: 'progress', phase: 'clone', message: 'Receiving objects', ratio: 0.45 }],
      1,
    ))
      fake.emit({ kind: 'task', event })
  })
  const bar = await screen.findByRole('progressbar', { name: 'Cloning… Receiving objects' })
  expect(bar.getAttribute('aria-valuenow')).toBe('45')

  // Our own last clone report already says it: not "Cloning… Cloned".
  act(() => {
    for (const event of taskEvents(
      'g1',
      [{ type: 'progress', phase: 'clone', message: 'Cloned main at 0123456789ab', ratio: 1 }],
      2,
    ))
      fake.emit({ kind: 'task', event })
  })
  expect(await screen.findByRole('progressbar', { name: 'Cloned main at 0123456789ab' })).toBeTruthy()
})

test('other phases keep their own words; a ZIP or a later turn is not "cloning"', async () => {
  bodies = [{ type: 'progress', phase: 'container', message: 'Starting the sandbox container' }]
  await show(taskRecord({ id: 'g2', status: 'preparing' }))
  expect(await screen.findByRole('progressbar', { name: 'Starting the sandbox container' })).toBeTruthy()
  cleanup()

  bodies = []
  await show(taskRecord({ id: 'z1', status: 'preparing', source: { kind: 'zip', path: '/tmp/shop.zip' } }))
  await screen.findByText('No events yet.')
  expect(screen.queryByRole('progressbar')).toBeNull()
  cleanup()

  await show(taskRecord({ id: 'g3', status: 'preparing', turns: 1, baselineCommit: 'a'.repeat(40) }))
  await screen.findByText('No events yet.')
  expect(screen.queryByRole('progressbar')).toBeNull()
})

test('"Processing…" while the agent works; nothing once the task is in review', async () => {
  bodies = [{ type: 'status', status: 'running' }]
  await show(taskRecord({ id: 'r1', status: 'running', runtime: 'codex' }))
  expect(await screen.findByRole('progressbar', { name: 'Processing…' })).toBeTruthy()
  cleanup()

  bodies = [{ type: 'status', status: 'review' }]
  await show(taskRecord({ id: 'r2', status: 'review' }))
  await screen.findByText('Ready for review', { selector: '.status-badge' })
  expect(screen.queryByRole('progressbar')).toBeNull()
})
