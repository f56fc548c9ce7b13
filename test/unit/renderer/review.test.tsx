// @vitest-environment happy-dom
import { diffOf, fake, file, ok, stubLayout, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { TaskRecord } from '../../../src/shared/task'
import type { DiffEditorProps } from '../../../src/renderer/src/features/review/diff-editor'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

const firstDiff = diffOf([
  file({
    newPath: 'src/signup.ts',
    additions: 12,
    deletions: 2,
    oldContent: 'const a = 1\n',
    newContent: 'const a = 2\n',
  }),
  file({
    newPath: 'src/lib/email.ts',
    status: 'added',
    oldPath: null,
    oldContent: null,
    additions: 20,
    deletions: 0,
  }),
  file({
    newPath: 'assets/logo.png',
    binary: true,
    oldContent: null,
    newContent: null,
    additions: 0,
    deletions: 0,
  }),
  file({ newPath: 'README.md', additions: 1, deletions: 0 }),
])

/** The stand-in for Monaco: shows what the editor was given. */
let editorProps: DiffEditorProps | undefined
function FakeEditor(props: DiffEditorProps): React.JSX.Element {
  editorProps = props
  return <pre data-testid="diff-editor">{`${props.language}|${props.original}|${props.modified}`}</pre>
}

let diff = firstDiff
let record: TaskRecord
beforeEach(() => {
  fake.calls.length = 0
  editorProps = undefined
  diff = firstDiff
  fake.handlers = {
    'tasks.list': () => ok([record]),
    'tasks.diff': () => ok(diff),
    'tasks.events': () => ok([]),
    'tasks.setExcluded': ({ id, paths, hunks }) =>
      ok(taskRecord({ ...record, id, excludedPaths: paths, excludedHunks: hunks })),
    'tasks.followUp': ({ id }) => ok(taskRecord({ ...record, id, status: 'queued' })),
  }
})

async function show(patch: Partial<TaskRecord>): Promise<void> {
  record = taskRecord({ status: 'review', turns: 1, ...patch })
  await taskListStore().reload()
  render(<ReviewPage id={record.id} Editor={FakeEditor} />)
  await screen.findByText('signup.ts')
}

const checkbox = (path: string): HTMLInputElement =>
  screen.getByRole('checkbox', { name: `Include ${path}` }) as HTMLInputElement

test('the file tree shows folders, status letters, +/− counts and totals; a file opens in the diff editor', async () => {
  await show({ id: 'v1' })
  expect(screen.getByLabelText('Totals').textContent).toMatch(/4 files \+33 −2/)
  expect(screen.getByText('src')).toBeTruthy()
  expect(screen.getByText('lib')).toBeTruthy()
  expect(screen.getByText('+12')).toBeTruthy()
  const added = screen.getByText('email.ts').closest('.tree-row')!
  expect(added.querySelector('.tree-letter')!.textContent).toBe('A')
  // The first file in tree order (folders first) that can be shown is selected at the start.
  expect(screen.getByText('email.ts').closest('.tree-row')!.getAttribute('aria-selected')).toBe('true')
  fireEvent.click(screen.getByText('signup.ts'))
  expect(editorProps).toMatchObject({
    language: 'typescript',
    original: 'const a = 1\n',
    modified: 'const a = 2\n',
  })
  expect(editorProps?.sideBySide).toBe(true)
  fireEvent.click(screen.getByRole('button', { name: 'Inline' }))
  expect(editorProps?.sideBySide).toBe(false)
})

test('a binary file is named as such and never rendered', async () => {
  await show({ id: 'v2' })
  fireEvent.click(screen.getByText('logo.png'))
  expect(screen.getByText('Binary file — not shown')).toBeTruthy()
  expect(screen.queryByTestId('diff-editor')).toBeNull()
})

test('folders collapse', async () => {
  await show({ id: 'v3' })
  fireEvent.click(screen.getByText('src'))
  expect(screen.queryByText('signup.ts')).toBeNull()
  expect(screen.queryByText('email.ts')).toBeNull()
  fireEvent.click(screen.getByText('src'))
  expect(screen.getByText('signup.ts')).toBeTruthy()
})

test('include boxes start from the record and persist with tasks.setExcluded', async () => {
  await show({ id: 'v4', excludedPaths: ['README.md'] })
  expect(checkbox('README.md').checked).toBe(false)
  expect(checkbox('src/signup.ts').checked).toBe(true)
  fireEvent.click(checkbox('src/signup.ts'))
  await waitFor(() =>
    expect(fake.callsOf('tasks.setExcluded').at(-1)).toEqual({
      id: 'v4',
      paths: ['README.md', 'src/signup.ts'],
      hunks: [],
    }),
  )
  expect(checkbox('src/signup.ts').checked).toBe(false)
  expect(screen.getByLabelText('Totals').textContent).toMatch(/2 excluded/)
  // A folder's box includes or excludes everything in it.
  fireEvent.click(checkbox('src/'))
  await waitFor(() => expect(fake.callsOf('tasks.setExcluded').at(-1)?.paths).toEqual(['README.md']))
})

test('a failed write puts the box back and says why', async () => {
  await show({ id: 'v5' })
  fake.handlers['tasks.setExcluded'] = () => ({
    ok: false,
    error: { kind: 'not_found', message: 'No task v5' },
  })
  fireEvent.click(checkbox('README.md'))
  expect(await screen.findByText('No task v5')).toBeTruthy()
  expect(checkbox('README.md').checked).toBe(true)
})

test('j/k and arrows move between files; Space toggles the selected file', async () => {
  await show({ id: 'v6' })
  // Tree order: assets/logo.png, src/lib/email.ts, src/signup.ts, README.md; the first text file starts selected.
  expect(screen.getByText('email.ts').closest('.tree-row')!.getAttribute('aria-selected')).toBe('true')
  fireEvent.keyDown(window, { key: 'k' })
  expect(screen.getByText('logo.png').closest('.tree-row')!.getAttribute('aria-selected')).toBe('true')
  fireEvent.keyDown(window, { key: 'j' })
  fireEvent.keyDown(window, { key: 'ArrowDown' })
  expect(screen.getByText('signup.ts').closest('.tree-row')!.getAttribute('aria-selected')).toBe('true')
  fireEvent.keyDown(window, { key: 'ArrowUp' })
  expect(editorProps?.modelKey).toBe('v6/src/lib/email.ts')
  fireEvent.keyDown(window, { key: ' ' })
  await waitFor(() =>
    expect(fake.callsOf('tasks.setExcluded').at(-1)).toEqual({
      id: 'v6',
      paths: ['src/lib/email.ts'],
      hunks: [],
    }),
  )
  // Keys typed in the follow-up box are text, not commands.
  fireEvent.keyDown(screen.getByRole('textbox', { name: 'Follow-up' }), { key: 'j' })
  expect(editorProps?.modelKey).toBe('v6/src/lib/email.ts')
})

test('a follow-up (Ctrl+Enter) calls tasks.followUp, opens the task page, and the new diff shows back in review', async () => {
  await show({ id: 'v7' })
  const box = screen.getByRole('textbox', { name: 'Follow-up' })
  fireEvent.change(box, { target: { value: '  also handle the empty string ' } })
  fireEvent.keyDown(box, { key: 'Enter', ctrlKey: true })
  await waitFor(() =>
    expect(fake.callsOf('tasks.followUp')).toEqual([{ id: 'v7', prompt: 'also handle the empty string' }]),
  )
  await waitFor(() => expect(window.location.hash).toBe('#/task/v7'))

  // The turn runs (the box is disabled), then the task is back in review with a new diff.
  act(() => fake.emit({ kind: 'task-updated', task: { ...record, status: 'running' } }))
  expect((screen.getByRole('textbox', { name: 'Follow-up' }) as HTMLTextAreaElement).disabled).toBe(true)
  diff = diffOf([...firstDiff.fileDiffs, file({ newPath: 'src/empty.ts', status: 'added', additions: 5 })])
  act(() => fake.emit({ kind: 'task-updated', task: { ...record, status: 'review', turns: 2 } }))
  expect(await screen.findByText('empty.ts')).toBeTruthy()
  expect(screen.getByLabelText('Totals').textContent).toMatch(/5 files/)
})

test('while a turn runs, the review says the diff is the last completed turn’s and does not edit it', async () => {
  diff = { ...firstDiff, snapshot: { reason: 'turn_running', at: '2026-12-01T10:20:30.000Z' } }
  await show({ id: 'v-snap', status: 'running' })
  expect(screen.getByText(/this is the diff of its last completed turn/)).toBeTruthy()
  expect(screen.getByText(/the workspace is not read while the agent runs/)).toBeTruthy()
  fireEvent.click(screen.getByText('signup.ts'))
  expect(editorProps?.editable).toBe(false)
})
