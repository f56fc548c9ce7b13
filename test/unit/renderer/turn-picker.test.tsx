// @vitest-environment happy-dom
import { diffOf, fake, file, ok, reviewHandlers, stubLayout, taskEvents, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { TaskRecord } from '../../../src/shared/task'
import type { DiffEditorProps } from '../../../src/renderer/src/features/review/diff-editor'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import { TaskPage } from '../../../src/renderer/src/features/task/task-page'
import { parseRoute, routeHash } from '../../../src/renderer/src/lib/route'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

const whole = diffOf([file({ newPath: 'src/a.ts' }), file({ newPath: 'src/b.ts' })])
const turnOne = { ...diffOf([file({ newPath: 'src/a.ts', newContent: 'turn one\n' })]), turn: 1 }
const snapshots = [
  { turn: 1, start: 'a'.repeat(40), end: 'b'.repeat(40), files: 1, additions: 4, deletions: 1 },
  { turn: 2, start: 'b'.repeat(40), end: 'b'.repeat(40), files: 0, additions: 0, deletions: 0 },
]

const holder: { record: TaskRecord } = { record: taskRecord() }
beforeEach(() => {
  fake.calls.length = 0
  window.location.hash = ''
  fake.handlers = {
    'tasks.list': () => ok([holder.record]),
    'tasks.diff': ({ turn }) => ok(turn === 1 ? turnOne : turn === 2 ? { ...diffOf([]), turn: 2 } : whole),
    'tasks.events': ({ id }) =>
      ok(
        taskEvents(id, [
          { type: 'status', status: 'running' },
          { type: 'diff', diff: { files: 1, additions: 4, deletions: 1 }, turn: 1 },
          { type: 'diff', diff: { files: 1, additions: 4, deletions: 1 }, turn: 2 },
          { type: 'diff', diff: { files: 1, additions: 4, deletions: 1 } },
        ]),
      ),
    ...reviewHandlers(holder),
  }
})

let editorProps: DiffEditorProps | undefined
function FakeEditor(props: DiffEditorProps): React.JSX.Element {
  editorProps = props
  return <pre data-testid="diff-editor">{props.modified}</pre>
}

async function load(patch: Partial<TaskRecord>): Promise<void> {
  holder.record = taskRecord({ status: 'review', turns: 2, turnSnapshots: snapshots, ...patch })
  await taskListStore().reload()
}

const picker = (): HTMLSelectElement =>
  screen.getByRole('combobox', { name: 'Show changes of' }) as HTMLSelectElement

test('the review route carries an optional turn', () => {
  expect(parseRoute('#/task/t9/review/turn/3')).toEqual({ page: 'review', id: 't9', turn: 3 })
  expect(parseRoute('#/task/t9/review')).toEqual({ page: 'review', id: 't9' })
  expect(parseRoute('#/task/t9/review/turn/0')).toEqual({ page: 'review', id: 't9' })
  expect(parseRoute('#/task/t9/review/turn/x')).toEqual({ page: 'review', id: 't9' })
  expect(routeHash({ page: 'review', id: 't9', turn: 3 })).toBe('#/task/t9/review/turn/3')
  expect(routeHash({ page: 'review', id: 't9' })).toBe('#/task/t9/review')
})

describe('the turn picker', () => {
  test('lists the whole task and each turn with its counts; a turn loads its own diff, read-only', async () => {
    await load({ id: 'p1' })
    window.location.hash = '#/task/p1/review'
    render(<ReviewPage id="p1" Editor={FakeEditor} />)
    await screen.findByText('b.ts')
    expect([...picker().options].map((o) => o.textContent)).toEqual([
      'Whole task',
      'Turn 1 (+4 −1)',
      'Turn 2 (No changes)',
    ])
    expect(picker().value).toBe('')
    // The whole task's diff: the file's hunks can be left out from the editor.
    expect(editorProps?.onToggleHunk).toBeDefined()
    expect(screen.getByRole('button', { name: 'Edit' })).toBeTruthy()

    fireEvent.change(picker(), { target: { value: '1' } })
    await waitFor(() => expect(window.location.hash).toBe('#/task/p1/review/turn/1'))
    await waitFor(() => expect(screen.queryByText('b.ts')).toBeNull())
    expect(fake.callsOf('tasks.diff').at(-1)).toEqual({ id: 'p1', turn: 1 })
    expect(picker().value).toBe('1')
    expect(screen.getByText(/Turn 1’s own changes, read-only/)).toBeTruthy()
    expect(screen.getByTestId('diff-editor').textContent).toBe('turn one\n')
    // Read-only: no editing, no include boxes to change, no publishing from a turn's diff.
    expect(editorProps?.editable).toBe(false)
    expect(editorProps?.onToggleHunk).toBeUndefined()
    expect(editorProps?.onCommentLines).toBeUndefined()
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull()
    const box = screen.getByRole('checkbox', { name: 'Include src/a.ts' }) as HTMLInputElement
    expect(box.disabled).toBe(true)
    fireEvent.keyDown(window, { key: ' ' })
    await new Promise((r) => setTimeout(r, 250))
    expect(fake.callsOf('tasks.setExcluded')).toEqual([])

    fireEvent.change(picker(), { target: { value: '2' } })
    expect(await screen.findByText(/The agent changed nothing in this turn/)).toBeTruthy()
    fireEvent.change(picker(), { target: { value: '' } })
    await waitFor(() => expect(window.location.hash).toBe('#/task/p1/review'))
    expect(await screen.findByText('b.ts')).toBeTruthy()
    expect(fake.callsOf('tasks.diff').at(-1)).toEqual({ id: 'p1' })
  })

  test('a task without turn snapshots shows no picker', async () => {
    await load({ id: 'p2', turnSnapshots: undefined })
    render(<ReviewPage id="p2" Editor={FakeEditor} />)
    await screen.findByText('b.ts')
    expect(screen.queryByRole('combobox', { name: 'Show changes of' })).toBeNull()
  })
})

describe('honest states', () => {
  test('the timeline links each turn to its own diff, or says it changed nothing', async () => {
    await load({ id: 'p3' })
    render(<TaskPage id="p3" />)
    const link = await screen.findByRole('link', { name: "Turn 1's changes" })
    expect(link.getAttribute('href')).toBe('#/task/p3/review/turn/1')
    expect(screen.getByText(/No changes in this turn/)).toBeTruthy()
    // An old 'diff' event without a turn has no link.
    expect(screen.getAllByRole('link')).toHaveLength(1)
    fireEvent.click(link)
    expect(window.location.hash).toBe('#/task/p3/review/turn/1')
  })

  test('a task in review with no changed file says "No changes", not "Ready for review"', async () => {
    await load({ id: 'p4', diff: { files: 0, additions: 0, deletions: 0 } })
    fake.handlers['tasks.diff'] = () => ok(diffOf([]))
    const page = render(<TaskPage id="p4" />)
    await screen.findByRole('link', { name: "Turn 1's changes" })
    expect(screen.getByText('No changes', { selector: '.status-badge' })).toBeTruthy()
    expect(screen.queryByText('Ready for review')).toBeNull()
    expect(screen.getByText('The agent changed nothing in the workspace.')).toBeTruthy()
    page.unmount()

    render(<ReviewPage id="p4" Editor={FakeEditor} />)
    expect(await screen.findByText(/The agent changed nothing in this turn/)).toBeTruthy()
    expect(screen.getByText('No changes', { selector: '.status-badge' })).toBeTruthy()
    // With changes again, the badge reads as before.
    act(() =>
      fake.emit({
        kind: 'task-updated',
        task: { ...holder.record, diff: { files: 1, additions: 1, deletions: 0 } },
      }),
    )
    expect(screen.getByText('Ready for review', { selector: '.status-badge' })).toBeTruthy()
  })
})
