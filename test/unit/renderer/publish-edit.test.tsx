// @vitest-environment happy-dom
import { diffOf, fake, file, ok, stubLayout, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { DiffResult } from '../../../src/shared/diff'
import { defaultSettings } from '../../../src/shared/settings'
import type { TaskOutcome, TaskRecord } from '../../../src/shared/task'
import type { DiffEditorProps } from '../../../src/renderer/src/features/review/diff-editor'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import { TaskPage } from '../../../src/renderer/src/features/task/task-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

/** The workspace as the fake engine holds it: tasks.saveFile writes here, tasks.diff reads from here. */
let workspace: Record<string, string>
const diffNow = (): DiffResult =>
  diffOf([
    file({ newPath: 'a.ts', oldContent: 'const a = 1\n', newContent: workspace['a.ts']! }),
    file({ newPath: 'b.ts', oldContent: 'const b = 1\n', newContent: workspace['b.ts']! }),
    file({ newPath: 'gone.ts', status: 'deleted', newContent: null }),
  ])

let editor: DiffEditorProps | undefined
function FakeEditor(props: DiffEditorProps): React.JSX.Element {
  editor = props
  return <pre data-testid="diff-editor">{props.modified}</pre>
}

let record: TaskRecord
beforeEach(async () => {
  fake.calls.length = 0
  editor = undefined
  workspace = { 'a.ts': 'const a = 2\n', 'b.ts': 'const b = 2\n' }
  fake.handlers = {
    'settings.get': () => ok(defaultSettings()),
    'tasks.list': () => ok([record]),
    'tasks.events': () => ok([]),
    'tasks.diff': () => ok(diffNow()),
    'tasks.saveFile': ({ path, content }) => {
      workspace[path] = content
      return ok(record)
    },
  }
})

async function showReview(id: string, patch: Partial<TaskRecord> = {}): Promise<void> {
  record = taskRecord({ id, status: 'review', turns: 1, ...patch })
  await taskListStore().reload()
  render(<ReviewPage id={id} Editor={FakeEditor} />)
  await screen.findByText('gone.ts')
  fireEvent.click(inTree('a.ts'))
}
const inTree = (name: string): HTMLElement =>
  within(document.querySelector('.review-files') as HTMLElement).getByText(name)
const diffHead = (): HTMLElement => document.querySelector('.diff-head') as HTMLElement

test('an edit of the right-hand side is marked unsaved, saved with tasks.saveFile, and the diff reloads', async () => {
  await showReview('e1')
  // Read mode first: the editor's keys review; "Edit" makes the right-hand side editable.
  expect(editor).toMatchObject({ editable: false, modified: 'const a = 2\n' })
  fireEvent.click(within(diffHead()).getByRole('button', { name: 'Edit' }))
  expect(editor).toMatchObject({ editable: true, modified: 'const a = 2\n' })
  const save = within(diffHead()).getByRole('button', { name: 'Save' })
  expect(save).toHaveProperty('disabled', true)
  act(() => editor!.onChange!('const a = 3\n'))
  expect(within(diffHead()).getByText('● Unsaved')).toBeTruthy()
  expect(editor!.modified).toBe('const a = 3\n')
  const diffsBefore = fake.callsOf('tasks.diff').length
  fireEvent.click(within(diffHead()).getByRole('button', { name: 'Save' }))
  await waitFor(() =>
    expect(fake.callsOf('tasks.saveFile')).toEqual([{ id: 'e1', path: 'a.ts', content: 'const a = 3\n' }]),
  )
  await waitFor(() => expect(fake.callsOf('tasks.diff').length).toBe(diffsBefore + 1))
  await waitFor(() => expect(within(diffHead()).queryByText('● Unsaved')).toBeNull())
  expect(editor!.modified).toBe('const a = 3\n')
})

test('Ctrl/Cmd+S in the editor saves; leaving a file with unsaved edits saves them', async () => {
  await showReview('e2')
  act(() => editor!.onChange!('const a = 4\n'))
  await act(async () => editor!.onSave!())
  expect(fake.callsOf('tasks.saveFile')).toEqual([{ id: 'e2', path: 'a.ts', content: 'const a = 4\n' }])

  await waitFor(() => expect(within(diffHead()).queryByText('● Unsaved')).toBeNull())
  act(() => editor!.onChange!('const a = 5\n'))
  fireEvent.click(inTree('b.ts'))
  await waitFor(() =>
    expect(fake.callsOf('tasks.saveFile').at(-1)).toEqual({
      id: 'e2',
      path: 'a.ts',
      content: 'const a = 5\n',
    }),
  )
  expect(editor!.modelKey).toBe('e2/b.ts')
})

test('deleted files and tasks not in review are not editable', async () => {
  await showReview('e3')
  fireEvent.click(inTree('gone.ts'))
  expect(editor!.editable).toBe(false)
  expect(within(diffHead()).queryByRole('button', { name: 'Save' })).toBeNull()
  expect(within(diffHead()).queryByRole('button', { name: 'Edit' })).toBeNull()
  cleanup()
  await showReview('e4', { status: 'running' })
  expect(editor!.editable).toBe(false)
})

test('a failed save keeps the edit and says why', async () => {
  await showReview('e5')
  fake.handlers['tasks.saveFile'] = () => ({
    ok: false,
    error: { kind: 'conflict', message: 'A turn is running: the file cannot be saved now.' },
  })
  act(() => editor!.onChange!('const a = 6\n'))
  fireEvent.click(within(diffHead()).getByRole('button', { name: 'Save' }))
  expect(await screen.findByText('A turn is running: the file cannot be saved now.')).toBeTruthy()
  expect(within(diffHead()).getByText('● Unsaved')).toBeTruthy()
  expect(editor!.modified).toBe('const a = 6\n')
})

const outcomes: TaskOutcome[] = [
  { kind: 'exported', at: '2025-06-01T10:00:00Z', format: 'patch', artifact: 'export.patch', bytes: 512 },
  {
    kind: 'pull_request',
    at: '2025-06-01T11:00:00Z',
    url: 'https://github.com/acme/shop/pull/9',
    number: 9,
    repo: 'acme/shop',
    branch: 'ai-changes-20250601-110000',
    forked: false,
    draft: false,
  },
]

test('the task page lists the outcomes newest first, live', async () => {
  record = taskRecord({ id: 'o1', status: 'review', outcomes })
  await taskListStore().reload()
  render(<TaskPage id="o1" />)
  const list = await screen.findByRole('region', { name: 'Outcomes' })
  const items = (): string[] =>
    within(list)
      .getAllByRole('listitem')
      .map((li) => li.textContent ?? '')
  expect(items()[0]).toContain('Pull request acme/shop#9')
  expect(items()[1]).toContain('Exported export.patch')
  expect(within(list).getByRole('link', { name: 'acme/shop#9' }).getAttribute('href')).toBe(
    'https://github.com/acme/shop/pull/9',
  )
  const applied: TaskOutcome = {
    kind: 'applied',
    at: '2025-06-01T12:00:00Z',
    folder: '/home/me/app',
    mode: 'files',
    files: ['a.ts'],
  }
  act(() => fake.emit({ kind: 'task-updated', task: { ...record, outcomes: [...outcomes, applied] } }))
  await waitFor(() => expect(items()[0]).toContain('Applied 1 file to /home/me/app'))
  expect(items()).toHaveLength(3)
})
