// @vitest-environment happy-dom
import { diffOf, fake, ok, reviewHandlers, stubLayout, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import type { TaskRecord } from '../../../src/shared/task'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'
import { comment, HUNKS, modifiedFile, seen, StandInEditor } from './review-pane-fixture'

/**
 * The review page's pane with the engine's answers (the fake API): refused discards and comments shown
 * beside the action, comments readable on a turn's own diff, the key help, focus back in the editor.
 */
beforeAll(() => stubLayout())
afterEach(cleanup)

const REFUSED = { ok: false as const, error: { kind: 'conflict' as const, message: 'A turn is running.' } }
const turnDiff = { ...diffOf([modifiedFile()]), turn: 1 }
const holder: { record: TaskRecord } = { record: taskRecord() }
beforeEach(() => {
  fake.calls.length = 0
  seen.editor = undefined
  window.location.hash = ''
  fake.handlers = {
    'tasks.list': () => ok([holder.record]),
    'tasks.diff': ({ turn }) => ok(turn === 1 ? turnDiff : diffOf([modifiedFile()])),
    'tasks.events': () => ok([]),
    ...reviewHandlers(holder),
  }
})

async function open(id: string, patch: Partial<TaskRecord> = {}): Promise<void> {
  holder.record = taskRecord({ id, status: 'review', turns: 1, ...patch })
  await taskListStore().reload()
  render(<ReviewPage id={id} Editor={StandInEditor} />)
  await waitFor(() => expect(seen.editor?.modelKey).toBe(`${id}/src/a.ts`))
}

const region = (name: string): HTMLElement => screen.getByRole('region', { name })
const pageAlerts = (): HTMLElement[] => screen.queryAllByRole('alert').filter((a) => !a.closest('.diff-pane'))

test('a refused "Discard hunk" is shown in the hunk bar, not thrown; a refused "Discard file" under the head', async () => {
  await open('e1')
  fake.handlers['tasks.discard'] = () => REFUSED
  fireEvent.click(within(region('Hunk')).getByRole('button', { name: 'Discard hunk' }))
  await act(async () => fireEvent.click(within(region('Hunk')).getByRole('button', { name: 'Discard' })))
  expect(within(region('Hunk')).getByRole('alert').textContent).toContain('A turn is running.')
  expect(pageAlerts()).toEqual([])
  fireEvent.click(within(region('Hunk')).getByRole('button', { name: 'Dismiss' }))
  expect(within(region('Hunk')).queryByRole('alert')).toBeNull()

  fireEvent.click(screen.getByRole('button', { name: 'Discard file' }))
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Discard' })))
  const alert = screen.getByRole('alert')
  expect(alert.textContent).toContain('A turn is running.')
  expect(alert.closest('.diff-pane')).not.toBeNull()
  expect(fake.callsOf('tasks.discard')).toEqual([
    { id: 'e1', path: 'src/a.ts', hunk: HUNKS[0]!.key },
    { id: 'e1', path: 'src/a.ts' },
  ])
})

test('a refused comment is shown in its composer, which keeps the text; refused tools in the comment', async () => {
  await open('e2', { comments: [comment({ id: 'c1', text: 'Old one' })] })
  fake.handlers['tasks.comment'] = () => REFUSED
  act(() => seen.editor!.onCommentLines!('new', 2, 2))
  const box = screen.getByLabelText('New comment')
  fireEvent.change(box, { target: { value: 'Rename this' } })
  await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add comment' })))
  const composer = box.closest('.comment-new') as HTMLElement
  expect(within(composer).getByRole('alert').textContent).toContain('A turn is running.')
  expect((screen.getByLabelText('New comment') as HTMLTextAreaElement).value).toBe('Rename this')

  const item = screen.getByText('Old one').closest('li') as HTMLElement
  await act(async () => fireEvent.click(within(item).getByRole('button', { name: 'Delete' })))
  expect(within(item).getByRole('alert').textContent).toContain('A turn is running.')
  expect(screen.getByText('Old one')).toBeTruthy()
  expect(pageAlerts()).toEqual([])
})

test('on one turn’s own diff the file’s comments can be read, not changed; no hunk boxes or bar', async () => {
  window.location.hash = '#/task/e3/review/turn/1'
  await open('e3', { comments: [comment({ id: 'c1', text: 'Seen in turn one' })] })
  await waitFor(() => expect(fake.callsOf('tasks.diff')).toContainEqual({ id: 'e3', turn: 1 }))
  const list = region('Comments')
  expect(within(list).getByText('Seen in turn one')).toBeTruthy()
  expect(within(list).queryByRole('button')).toBeNull()
  expect(screen.queryByRole('region', { name: 'Hunk' })).toBeNull()
  expect(screen.queryByRole('button', { name: 'Discard file' })).toBeNull()
  expect(seen.editor?.hunks).toBeUndefined()
  expect(seen.editor?.onCommentLines).toBeUndefined()
})

test('the key help names the editor’s keys as well as the tree’s', async () => {
  await open('e4')
  const help = document.querySelector('.kbd-help')!.textContent!.replace(/\s+/g, ' ')
  expect(help).toContain('j/k move · Space include')
  expect(help).toContain('Space hunk · x line · c comment · n/p hunks · e edit')
})

test('after adding or cancelling a comment, focus is back in the editor where it was', async () => {
  await open('e5')
  const inEditor = screen.getByRole('button', { name: 'line box new 11' })
  for (const close of ['Cancel', 'Add comment']) {
    inEditor.focus()
    act(() => seen.editor!.onCommentLines!('new', 11, 11))
    expect(document.activeElement).toBe(screen.getByLabelText('New comment'))
    fireEvent.change(screen.getByLabelText('New comment'), { target: { value: 'Why?' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: close })))
    expect(screen.queryByLabelText('New comment')).toBeNull()
    expect(document.activeElement).toBe(inEditor)
  }
  expect(holder.record.comments?.map((c) => c.text)).toEqual(['Why?'])
})
