// @vitest-environment happy-dom
import './task-fake-api'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { Bench, comment, modifiedFile, seen, type Call } from './review-pane-fixture'

afterEach(cleanup)
let calls: Call[]
beforeEach(() => {
  calls = []
  seen.editor = undefined
})

const list = (): HTMLElement => screen.getByRole('region', { name: 'Comments' })
const items = (): string[] =>
  within(list())
    .getAllByRole('listitem')
    .map((li) => li.textContent ?? '')

test('lines chosen in the editor open a composer with them quoted; "Add comment" adds it', async () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  expect(screen.queryByRole('region', { name: 'Comments' })).toBeNull()
  act(() => seen.editor!.onCommentLines!('new', 2, 3))
  expect(list().textContent).toContain('Lines 2–3')
  expect(list().querySelector('pre')?.textContent).toBe('new line 2\nnew line 3')
  const box = within(list()).getByLabelText('New comment')
  expect(within(list()).getByRole('button', { name: 'Add comment' })).toHaveProperty('disabled', true)
  fireEvent.change(box, { target: { value: '  Rename this  ' } })
  await act(async () => fireEvent.click(within(list()).getByRole('button', { name: 'Add comment' })))
  expect(calls).toEqual([['addComment', 'new', 2, 3, 'Rename this']])
  expect(screen.queryByLabelText('New comment')).toBeNull()
})

test('Ctrl/Cmd+Enter adds, Escape and Cancel close the composer without adding', async () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  act(() => seen.editor!.onCommentLines!('old', 5, 5))
  expect(list().textContent).toContain('Line 5 (original)')
  expect(list().querySelector('pre')?.textContent).toBe('old line 5')
  fireEvent.keyDown(screen.getByLabelText('New comment'), { key: 'Escape' })
  expect(screen.queryByLabelText('New comment')).toBeNull()
  act(() => seen.editor!.onCommentLines!('old', 5, 5))
  fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
  expect(screen.queryByLabelText('New comment')).toBeNull()
  act(() => seen.editor!.onCommentLines!('old', 5, 5))
  fireEvent.change(screen.getByLabelText('New comment'), { target: { value: 'Why?' } })
  await act(async () =>
    fireEvent.keyDown(screen.getByLabelText('New comment'), { key: 'Enter', ctrlKey: true }),
  )
  expect(calls).toEqual([['addComment', 'old', 5, 5, 'Why?']])
})

test('comments are listed by line with their code, text and state; addressed ones can be reopened', async () => {
  const comments = [
    comment({ id: 'c2', startLine: 12, endLine: 14, code: 'x()', text: 'Second', state: 'addressed' }),
    comment({ id: 'c1', side: 'old', startLine: 3, endLine: 3, code: 'y()', text: 'First' }),
  ]
  render(<Bench file={modifiedFile()} calls={calls} comments={comments} />)
  expect(items()[0]).toContain('Line 3 (original)')
  expect(items()[0]).toContain('y()')
  expect(items()[0]).toContain('First')
  expect(items()[0]).toContain('Open')
  expect(items()[1]).toContain('Lines 12–14')
  expect(items()[1]).toContain('Addressed?')
  const [first, second] = within(list()).getAllByRole('listitem')
  await act(async () => fireEvent.click(within(second!).getByRole('button', { name: 'Reopen' })))
  expect(calls.at(-1)).toEqual(['setCommentState', 'c2', 'open'])
  await act(async () => fireEvent.click(within(first!).getByRole('button', { name: 'Resolve' })))
  expect(calls.at(-1)).toEqual(['setCommentState', 'c1', 'addressed'])
  expect(seen.editor?.comments?.map((c) => c.id)).toEqual(['c2', 'c1'])
})

test('a comment can be edited and deleted', async () => {
  render(<Bench file={modifiedFile()} calls={calls} comments={[comment({ id: 'c1', text: 'Old text' })]} />)
  fireEvent.click(within(list()).getByRole('button', { name: 'Edit' }))
  const box = within(list()).getByLabelText('Edit comment') as HTMLTextAreaElement
  expect(box.value).toBe('Old text')
  fireEvent.change(box, { target: { value: 'New text' } })
  await act(async () => fireEvent.click(within(list()).getByRole('button', { name: 'Save comment' })))
  expect(calls).toEqual([['editComment', 'c1', 'New text']])
  expect(within(list()).queryByLabelText('Edit comment')).toBeNull()
  await act(async () => fireEvent.click(within(list()).getByRole('button', { name: 'Delete' })))
  expect(calls.at(-1)).toEqual(['deleteComment', 'c1'])
  expect(screen.queryByRole('region', { name: 'Comments' })).toBeNull()
})

test("a comment's gutter glyph marks it in the list", () => {
  render(
    <Bench
      file={modifiedFile()}
      calls={calls}
      comments={[comment({ id: 'c1', startLine: 4, endLine: 4 })]}
    />,
  )
  const item = within(list()).getByRole('listitem')
  expect(item.className).not.toContain('is-highlighted')
  fireEvent.click(screen.getByText('comment glyph new 4'))
  expect(item.className).toContain('is-highlighted')
})

test('outside review comments are read only: no composer, no Edit, Delete or Resolve', () => {
  render(<Bench file={modifiedFile()} calls={calls} canChange={false} comments={[comment({ id: 'c1' })]} />)
  expect(items()[0]).toContain('A comment')
  expect(within(list()).queryByRole('button')).toBeNull()
  expect(seen.editor?.onCommentLines).toBeUndefined()
})
