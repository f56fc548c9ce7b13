// @vitest-environment happy-dom
import { diffOf, fake, file, ok, reviewHandlers, stubLayout, taskRecord } from './task-fake-api'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { ReviewComment } from '../../../src/shared/review'
import type { TaskRecord } from '../../../src/shared/task'
import type { DiffEditorProps } from '../../../src/renderer/src/features/review/diff-editor'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

const holder: { record: TaskRecord } = { record: taskRecord() }
beforeEach(() => {
  fake.calls.length = 0
  window.location.hash = ''
  fake.handlers = {
    'tasks.list': () => ok([holder.record]),
    'tasks.diff': () => ok(diffOf([file({ newPath: 'src/a.ts' })])),
    'tasks.events': () => ok([]),
    ...reviewHandlers(holder),
  }
})

function FakeEditor(props: DiffEditorProps): React.JSX.Element {
  return <pre>{props.modelKey}</pre>
}

const comment = (id: string, patch: Partial<ReviewComment> = {}): ReviewComment => ({
  id,
  path: 'src/a.ts',
  side: 'new',
  startLine: 3,
  endLine: 3,
  code: 'const a = 2',
  text: `comment ${id}`,
  createdAt: '',
  updatedAt: '',
  state: 'open',
  ...patch,
})

async function show(patch: Partial<TaskRecord>): Promise<void> {
  holder.record = taskRecord({ status: 'review', turns: 1, ...patch })
  await taskListStore().reload()
  render(<ReviewPage id={holder.record.id} Editor={FakeEditor} />)
  await screen.findByText('a.ts')
}

const full: Partial<TaskRecord> = {
  comments: [
    comment('c1'),
    comment('c2', { startLine: 4, endLine: 6, text: 'use a constant' }),
    comment('c3', { side: 'old' }),
    comment('c4', { state: 'addressed' }),
  ],
  excludedHunks: [{ path: 'src/a.ts', key: 'a'.repeat(40), reason: "don't touch the public API" }],
  discards: [{ id: 'd1', at: '', path: 'src/b.ts', hunk: 'b'.repeat(40), patch: '', undo: [] }],
}

test('the button counts what will be sent; the panel previews it and sends the note', async () => {
  await show({ id: 'r1', ...full })
  const toggle = screen.getByRole('button', { name: /^Request changes/ })
  expect(toggle.textContent).toBe('Request changes · 3 comments · 1 left-out hunk · 1 discard')
  fireEvent.click(toggle)
  const preview = screen.getByRole('list', { name: 'What will be sent' })
  expect(preview.textContent).toMatch(/src\/a\.ts, lines 4–6: use a constant/)
  expect(preview.textContent).toMatch(/src\/a\.ts, old line 3: comment c3/)
  expect(preview.textContent).toMatch(/Left out src\/a\.ts \(hunk\): don't touch the public API/)
  expect(preview.textContent).toMatch(/Discarded src\/b\.ts \(hunk\)/)
  // An addressed comment is not sent again.
  expect(preview.textContent).not.toMatch(/comment c4/)

  const note = screen.getByRole('textbox', { name: 'Review note' })
  fireEvent.change(note, { target: { value: '  keep the old name  ' } })
  fireEvent.keyDown(note, { key: 'Enter', ctrlKey: true })
  await waitFor(() =>
    expect(fake.callsOf('tasks.requestChanges')).toEqual([{ id: 'r1', note: 'keep the old name' }]),
  )
  await waitFor(() => expect(window.location.hash).toBe('#/task/r1'))
})

test('with nothing to send, Send is disabled and says why; a note alone is enough', async () => {
  await show({ id: 'r2' })
  const toggle = screen.getByRole('button', { name: /^Request changes/ })
  expect(toggle.textContent).toBe('Request changes')
  fireEvent.click(toggle)
  const send = screen.getByRole('button', { name: /Send request/ }) as HTMLButtonElement
  expect(send.disabled).toBe(true)
  expect(
    screen.getByText(/Nothing to send: comment on a line, leave out a hunk, or write a note/),
  ).toBeTruthy()
  fireEvent.change(screen.getByRole('textbox', { name: 'Review note' }), { target: { value: 'simpler' } })
  expect(send.disabled).toBe(false)
  fireEvent.click(send)
  await waitFor(() => expect(fake.callsOf('tasks.requestChanges')).toEqual([{ id: 'r2', note: 'simpler' }]))
})

test('without a note, only the review is sent; the engine’s refusal is shown and nothing navigates', async () => {
  await show({ id: 'r3', ...full })
  fake.handlers['tasks.requestChanges'] = () => ({
    ok: false,
    error: { kind: 'conflict', message: 'A turn is already running.' },
  })
  fireEvent.click(screen.getByRole('button', { name: /^Request changes/ }))
  fireEvent.click(screen.getByRole('button', { name: /Send request/ }))
  expect(await screen.findByText('A turn is already running.')).toBeTruthy()
  expect(fake.callsOf('tasks.requestChanges')).toEqual([{ id: 'r3' }])
  expect(window.location.hash).toBe('')
})

test('outside review the request cannot be sent', async () => {
  await show({ id: 'r4', status: 'running', ...full })
  fireEvent.click(screen.getByRole('button', { name: /^Request changes/ }))
  expect((screen.getByRole('button', { name: /Send request/ }) as HTMLButtonElement).disabled).toBe(true)
  const panel = screen.getByRole('group', { name: 'Request changes' })
  expect(panel.textContent).toMatch(/Available when the task is in review/)
})
