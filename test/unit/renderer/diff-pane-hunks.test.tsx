// @vitest-environment happy-dom
import { file } from './task-fake-api'
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { Bench, HUNKS, hunkKey, modifiedFile, seen, type Call } from './review-pane-fixture'

afterEach(cleanup)
let calls: Call[]
beforeEach(() => {
  calls = []
  seen.editor = undefined
})

const bar = (): HTMLElement => screen.getByRole('region', { name: 'Hunk' })
const includeBox = (): HTMLInputElement =>
  within(bar()).getByRole('checkbox', { name: 'Include this hunk' }) as HTMLInputElement
const head = (): HTMLElement => document.querySelector('.diff-head') as HTMLElement

test("the editor's hunk and line boxes toggle the hunk and the line, by key and index", () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  fireEvent.click(screen.getByText('hunk box new 11'))
  expect(calls).toEqual([['toggleHunk', hunkKey(2)]])
  expect(screen.getByText('hunk box new 11').dataset.state).toBe('excluded')
  fireEvent.click(screen.getByText('line box old 2'))
  expect(calls.at(-1)).toEqual(['toggleLine', hunkKey(1), 0])
  fireEvent.click(screen.getByText('line box new 2'))
  expect(calls.at(-1)).toEqual(['toggleLine', hunkKey(1), 1])
  fireEvent.click(screen.getByText('line box old 21'))
  expect(calls.at(-1)).toEqual(['toggleLine', hunkKey(3), 0])
  expect(seen.editor?.excluded?.get(hunkKey(3))).toEqual(new Set([0]))
})

test('the hunk bar shows the focused hunk, follows the cursor, and moves the editor to the next one', () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  expect(bar().textContent).toContain('Hunk 1 of 3 · @@ -1,2 +1,2 @@')
  expect(within(bar()).getByRole('button', { name: 'Previous hunk' })).toHaveProperty('disabled', true)
  fireEvent.click(within(bar()).getByRole('button', { name: 'Next hunk' }))
  expect(bar().textContent).toContain('Hunk 2 of 3 · @@ -10,2 +10,3 @@')
  expect(seen.editor?.revealHunk).toMatchObject({ key: hunkKey(2) })
  const first = seen.editor!.revealHunk!.at
  act(() => seen.editor!.onFocusHunk!(hunkKey(3)))
  expect(bar().textContent).toContain('Hunk 3 of 3')
  expect(within(bar()).getByRole('button', { name: 'Next hunk' })).toHaveProperty('disabled', true)
  fireEvent.click(within(bar()).getByRole('button', { name: 'Previous hunk' }))
  expect(seen.editor?.revealHunk).toEqual({ key: hunkKey(2), at: first + 1 })
})

test("the bar's include box toggles the focused hunk and is indeterminate when it is partly left out", () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  expect(includeBox().checked).toBe(true)
  fireEvent.click(includeBox())
  expect(calls).toEqual([['toggleHunk', hunkKey(1)]])
  expect(includeBox().checked).toBe(false)
  expect(screen.getByText('hunk box new 2').dataset.state).toBe('excluded')
  fireEvent.click(includeBox())
  fireEvent.click(screen.getByText('line box new 2'))
  expect(includeBox().checked).toBe(false)
  expect(includeBox().indeterminate).toBe(true)
})

test('a reason field shows while the hunk is left out, and saves on blur and on Enter when it changed', () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  expect(within(bar()).queryByLabelText('Reason for leaving it out')).toBeNull()
  fireEvent.click(includeBox())
  const reason = within(bar()).getByLabelText('Reason for leaving it out')
  fireEvent.change(reason, { target: { value: "don't touch the public API " } })
  fireEvent.blur(reason)
  expect(calls.at(-1)).toEqual(['setReason', hunkKey(1), "don't touch the public API"])
  fireEvent.blur(reason)
  expect(calls.filter((c) => c[0] === 'setReason')).toHaveLength(1)
  fireEvent.change(reason, { target: { value: 'not this one' } })
  fireEvent.keyDown(reason, { key: 'Enter' })
  expect(calls.at(-1)).toEqual(['setReason', hunkKey(1), 'not this one'])
})

test('"Discard hunk" and "Discard file" ask in place first, and only then discard', async () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  fireEvent.click(within(bar()).getByRole('button', { name: 'Discard hunk' }))
  expect(within(bar()).getByText('Remove this hunk’s change from the workspace?')).toBeTruthy()
  fireEvent.click(within(bar()).getByRole('button', { name: 'Cancel' }))
  expect(calls).toEqual([])
  fireEvent.click(within(bar()).getByRole('button', { name: 'Discard hunk' }))
  await act(async () => fireEvent.click(within(bar()).getByRole('button', { name: 'Discard' })))
  expect(calls).toEqual([['discard', { hunk: hunkKey(1) }, undefined]])
  fireEvent.click(within(head()).getByRole('button', { name: 'Discard file' }))
  await act(async () => fireEvent.click(within(head()).getByRole('button', { name: 'Discard' })))
  expect(calls.at(-1)).toEqual(['discard', {}, undefined])
})

test('outside review nothing can be discarded or commented, but hunks can still be left out', () => {
  render(<Bench file={modifiedFile()} calls={calls} canChange={false} />)
  expect(within(bar()).getByRole('button', { name: 'Discard hunk' })).toHaveProperty('disabled', true)
  expect(within(head()).getByRole('button', { name: 'Discard file' })).toHaveProperty('disabled', true)
  expect(seen.editor?.onCommentLines).toBeUndefined()
  fireEvent.click(includeBox())
  expect(calls).toEqual([['toggleHunk', hunkKey(1)]])
})

test('a file without hunks (a rename) has no hunk bar and no boxes', () => {
  render(
    <Bench
      file={modifiedFile({ status: 'renamed', oldPath: 'src/old.ts', hunks: undefined })}
      calls={calls}
    />,
  )
  expect(screen.queryByRole('region', { name: 'Hunk' })).toBeNull()
  expect(screen.queryByText(/hunk box/)).toBeNull()
})

test('an added file is shown alone as added, a deleted one alone as deleted, others as a diff', () => {
  const added = file({
    newPath: 'src/new.ts',
    status: 'added',
    oldPath: null,
    oldContent: null,
    newContent: 'a\n',
  })
  const { rerender } = render(<Bench file={added} calls={calls} />)
  expect(seen.editor?.layout).toBe('added')
  const deleted = {
    ...file({ newPath: 'src/gone.ts', status: 'deleted', oldContent: 'a\n', newContent: null }),
    newPath: null,
  }
  rerender(<Bench file={deleted} calls={calls} />)
  expect(seen.editor?.layout).toBe('deleted')
  expect(seen.editor?.editable).toBe(false)
  rerender(<Bench file={modifiedFile()} calls={calls} />)
  expect(seen.editor?.layout).toBe('diff')
})

test('the editor reads by default; "Edit" (or e in the editor) turns editing on, and off again', () => {
  render(<Bench file={modifiedFile()} calls={calls} />)
  const edit = within(head()).getByRole('button', { name: 'Edit' })
  expect(seen.editor?.editable).toBe(false)
  expect(edit.getAttribute('aria-pressed')).toBe('false')
  fireEvent.click(edit)
  expect(seen.editor?.editable).toBe(true)
  expect(edit.getAttribute('aria-pressed')).toBe('true')
  fireEvent.click(edit)
  expect(seen.editor?.editable).toBe(false)
  act(() => seen.editor!.onEditRequest!())
  expect(seen.editor?.editable).toBe(true)
})

test('a task that cannot be edited has no Edit button, and e does nothing', () => {
  render(<Bench file={modifiedFile()} calls={calls} editable={false} />)
  expect(within(head()).queryByRole('button', { name: 'Edit' })).toBeNull()
  act(() => seen.editor!.onEditRequest!())
  expect(seen.editor?.editable).toBe(false)
  expect(HUNKS).toHaveLength(3)
})
