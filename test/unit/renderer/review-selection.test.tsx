// @vitest-environment happy-dom
import { diffOf, fake, file, ok, reviewHandlers, stubLayout, taskRecord } from './task-fake-api'
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { DiffHunk } from '../../../src/shared/review'
import type { TaskRecord } from '../../../src/shared/task'
import type { DiffEditorProps } from '../../../src/renderer/src/features/review/diff-editor'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import {
  fileState,
  indexHunks,
  toggleHunk,
  toggleLine,
  type Selection,
} from '../../../src/renderer/src/features/review/selection-model'
import { useComments } from '../../../src/renderer/src/features/review/use-comments'
import { useDiscards } from '../../../src/renderer/src/features/review/use-discards'
import { useFileReview } from '../../../src/renderer/src/features/review/use-file-review'
import { useSelection } from '../../../src/renderer/src/features/review/use-selection'
import { taskListStore, useTask } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

const K1 = 'a'.repeat(40)
const K2 = 'b'.repeat(40)
const hunk = (key: string, lines: number): DiffHunk => ({
  key,
  header: '@@ -1,2 +1,2 @@',
  oldStart: 1,
  oldLines: 2,
  newStart: 1,
  newLines: 2,
  changes: Array.from({ length: lines }, (_, i) => ({ kind: i % 2 ? 'add' : 'del', line: i + 1 })),
})
const twoHunks = file({ newPath: 'src/a.ts', hunks: [hunk(K1, 3), hunk(K2, 2)] })
const other = file({ newPath: 'src/b.ts', hunks: [hunk(K1, 2)] })
const readme = file({ newPath: 'README.md' })
const diff = diffOf([twoHunks, other, readme])

const holder: { record: TaskRecord } = { record: taskRecord() }
beforeEach(() => {
  fake.calls.length = 0
  fake.handlers = {
    'tasks.list': () => ok([holder.record]),
    'tasks.diff': () => ok(diff),
    'tasks.events': () => ok([]),
    ...reviewHandlers(holder),
  }
})

async function load(patch: Partial<TaskRecord>): Promise<void> {
  holder.record = taskRecord({ status: 'review', turns: 1, ...patch })
  await taskListStore().reload()
}

describe('selection model', () => {
  const empty: Selection = { paths: [], hunks: [] }
  test('a line toggles in and out; every line left out is the whole hunk, none removes the entry', () => {
    let s = toggleLine(empty, 'src/a.ts', K1, 1, 3)
    expect(s.hunks).toEqual([{ path: 'src/a.ts', key: K1, lines: [1] }])
    s = toggleLine(toggleLine(s, 'src/a.ts', K1, 0, 3), 'src/a.ts', K1, 2, 3)
    expect(s.hunks).toEqual([{ path: 'src/a.ts', key: K1 }])
    s = toggleLine(s, 'src/a.ts', K1, 2, 3)
    expect(s.hunks).toEqual([{ path: 'src/a.ts', key: K1, lines: [0, 1] }])
    s = toggleLine(toggleLine(s, 'src/a.ts', K1, 0, 3), 'src/a.ts', K1, 1, 3)
    expect(s.hunks).toEqual([])
  })

  test('a hunk flips between none and all; from partial it includes it whole', () => {
    const partial = toggleLine(empty, 'src/a.ts', K1, 1, 3)
    expect(toggleHunk(partial, 'src/a.ts', K1).hunks).toEqual([])
    expect(toggleHunk(empty, 'src/a.ts', K1).hunks).toEqual([{ path: 'src/a.ts', key: K1 }])
  })

  test('tri-state: partial with some hunks or lines out, excluded with every hunk out', () => {
    const state = (s: Selection): string => fileState(twoHunks, new Set(s.paths), indexHunks(s.hunks))
    expect(state(empty)).toBe('all')
    expect(state(toggleHunk(empty, 'src/a.ts', K1))).toBe('some')
    expect(state(toggleLine(empty, 'src/a.ts', K2, 0, 2))).toBe('some')
    expect(state(toggleHunk(toggleHunk(empty, 'src/a.ts', K1), 'src/a.ts', K2))).toBe('none')
    expect(state({ paths: ['src/a.ts'], hunks: [] })).toBe('none')
    // An exclusion of a hunk the file no longer has changes nothing.
    expect(state({ paths: [], hunks: [{ path: 'src/a.ts', key: 'c'.repeat(40) }] })).toBe('all')
  })
})

const comment = (id: string): NonNullable<TaskRecord['comments']>[number] => ({
  id,
  path: 'src/a.ts',
  side: 'new',
  startLine: 1,
  endLine: 1,
  code: '',
  text: 'a comment',
  createdAt: '',
  updatedAt: '',
  state: 'open',
})

function useReviewOf(id: string) {
  const task = useTask(id)
  const selection = useSelection(task)
  const comments = useComments(id)
  const discards = useDiscards(id, () => {})
  const review = useFileReview({
    file: twoHunks,
    selection,
    comments: task?.comments,
    comment: comments.run,
    discard: discards.discard,
    canChange: true,
  })
  return { task, selection, review: review! }
}

describe('useSelection', () => {
  test('toggling a hunk and a line shows at once and saves the whole selection with tasks.setExcluded', async () => {
    await load({ id: 's1' })
    const { result } = renderHook(() => useReviewOf('s1'))
    act(() => result.current.review.toggleHunk(K1))
    expect(result.current.review.excluded.get(K1)).toBe('all')
    act(() => result.current.review.toggleLine(K2, 1))
    expect([...(result.current.review.excluded.get(K2) as Set<number>)]).toEqual([1])
    await waitFor(() => expect(fake.callsOf('tasks.setExcluded')).toHaveLength(1))
    expect(fake.callsOf('tasks.setExcluded')[0]).toEqual({
      id: 's1',
      paths: [],
      hunks: [
        { path: 'src/a.ts', key: K1 },
        { path: 'src/a.ts', key: K2, lines: [1] },
      ],
    })
    // The record the engine returned is the new state; a reason is kept with its hunk.
    await waitFor(() => expect(result.current.task?.excludedHunks).toHaveLength(2))
    act(() => result.current.review.setReason(K1, " don't touch the public API "))
    await waitFor(() =>
      expect(holder.record.excludedHunks?.[0]).toEqual({
        path: 'src/a.ts',
        key: K1,
        reason: "don't touch the public API",
      }),
    )
    expect(result.current.review.reasons.get(K1)).toBe("don't touch the public API")
  })

  test('a burst of toggles: one write in flight at a time, and the latest state wins', async () => {
    await load({ id: 's2' })
    const release: (() => void)[] = []
    let inFlight = 0
    let most = 0
    const store = reviewHandlers(holder)['tasks.setExcluded']!
    fake.handlers['tasks.setExcluded'] = (input) =>
      new Promise((resolve) => {
        most = Math.max(most, ++inFlight)
        release.push(() => {
          inFlight--
          resolve(store(input) as ReturnType<typeof store> & { ok: true })
        })
      })
    const { result } = renderHook(() => useReviewOf('s2'))
    act(() => result.current.review.toggleHunk(K1))
    await waitFor(() => expect(release).toHaveLength(1))
    // While the first write is out, five more toggles: K2 on, off, on; K1 off, on.
    for (const key of [K2, K2, K2, K1, K1]) act(() => result.current.review.toggleHunk(key))
    await new Promise((r) => setTimeout(r, 300))
    expect(release).toHaveLength(1)
    await act(async () => release.shift()!())
    await waitFor(() => expect(release).toHaveLength(1))
    await act(async () => release.shift()!())
    await new Promise((r) => setTimeout(r, 300))
    expect(most).toBe(1)
    expect(fake.callsOf('tasks.setExcluded')).toHaveLength(2)
    expect(fake.callsOf('tasks.setExcluded')[1]!.hunks).toEqual([
      { path: 'src/a.ts', key: K1 },
      { path: 'src/a.ts', key: K2 },
    ])
    expect(result.current.review.excluded.get(K1)).toBe('all')
    expect(result.current.review.excluded.get(K2)).toBe('all')
  })

  test('a failed write reverts to the record and says why', async () => {
    await load({ id: 's3', excludedHunks: [{ path: 'src/a.ts', key: K2 }] })
    fake.handlers['tasks.setExcluded'] = () => ({
      ok: false,
      error: { kind: 'conflict', message: 'A turn is running' },
    })
    const { result } = renderHook(() => useReviewOf('s3'))
    act(() => result.current.review.toggleHunk(K1))
    expect(result.current.review.excluded.get(K1)).toBe('all')
    await waitFor(() => expect(result.current.selection.error?.message).toBe('A turn is running'))
    expect(result.current.review.excluded.get(K1)).toBeUndefined()
    expect(result.current.review.excluded.get(K2)).toBe('all')
  })
})

let editorProps: DiffEditorProps | undefined
function FakeEditor(props: DiffEditorProps): React.JSX.Element {
  editorProps = props
  return <pre data-testid="diff-editor">{props.modelKey}</pre>
}
const box = (name: string): HTMLInputElement => screen.getByRole('checkbox', { name }) as HTMLInputElement

describe('comments and discards', () => {
  test('add, edit, re-state and delete go through tasks.comment; the record returned is shown', async () => {
    await load({ id: 's8', comments: [{ ...comment('x1'), path: 'src/b.ts' }] })
    const { result } = renderHook(() => useReviewOf('s8'))
    // Only this file's comments.
    expect(result.current.review.comments).toEqual([])
    await act(() => result.current.review.addComment('new', 2, 3, ' use a constant '))
    expect(fake.callsOf('tasks.comment')[0]).toEqual({
      action: 'add',
      id: 's8',
      path: 'src/a.ts',
      side: 'new',
      startLine: 2,
      endLine: 3,
      text: ' use a constant ',
    })
    const [added] = result.current.review.comments
    expect(added).toMatchObject({ path: 'src/a.ts', text: 'use a constant', state: 'open' })
    await act(() => result.current.review.editComment(added!.id, 'use ONE constant'))
    await act(() => result.current.review.setCommentState(added!.id, 'addressed'))
    expect(result.current.review.comments[0]).toMatchObject({ text: 'use ONE constant', state: 'addressed' })
    await act(() => result.current.review.deleteComment(added!.id))
    expect(result.current.review.comments).toEqual([])
    expect(holder.record.comments?.map((c) => c.id)).toEqual(['x1'])
  })

  test('a refused comment is reported and rejects (the composer keeps its text)', async () => {
    await load({ id: 's9' })
    fake.handlers['tasks.comment'] = () => ({
      ok: false,
      error: { kind: 'invalid_input', message: 'Write the comment' },
    })
    const { result } = renderHook(() => useReviewOf('s9'))
    await act(() =>
      expect(result.current.review.addComment('old', 1, 1, ' ')).rejects.toThrow('Write the comment'),
    )
  })

  test('discarding a hunk or lines names the file and sends the reason', async () => {
    await load({ id: 's10' })
    const { result } = renderHook(() => useReviewOf('s10'))
    await act(() => result.current.review.discard({ hunk: K1, lines: [0, 2] }, 'not needed'))
    await act(() => result.current.review.discard({}))
    expect(fake.callsOf('tasks.discard')).toEqual([
      { id: 's10', path: 'src/a.ts', hunk: K1, lines: [0, 2], reason: 'not needed' },
      { id: 's10', path: 'src/a.ts' },
    ])
    await waitFor(() => expect(result.current.task?.discards).toHaveLength(2))
  })
})

describe('the file tree', () => {
  test('a partial file and its folder show a mixed box; totals say "excluded" and "partly"', async () => {
    await load({
      id: 's4',
      excludedHunks: [
        { path: 'src/a.ts', key: K1, lines: [0] },
        { path: 'src/b.ts', key: K1 },
      ],
    })
    render(<ReviewPage id="s4" Editor={FakeEditor} />)
    await screen.findByText('a.ts')
    expect(box('Include src/a.ts').indeterminate).toBe(true)
    expect(box('Include src/a.ts').checked).toBe(false)
    // Every hunk of b.ts is out: it counts as excluded, not partial.
    expect(box('Include src/b.ts').indeterminate).toBe(false)
    expect(box('Include src/b.ts').checked).toBe(false)
    expect(box('Include src/').indeterminate).toBe(true)
    expect(box('Include README.md').checked).toBe(true)
    expect(screen.getByLabelText('Totals').textContent).toMatch(/3 files .* · 1 excluded · 1 partly/)
    expect(screen.getByText('a.ts').closest('.tree-row')!.className).toMatch(/is-partial/)

    // Toggling the partial file includes it whole: its hunk exclusions go.
    fireEvent.click(box('Include src/a.ts'))
    expect(box('Include src/a.ts').checked).toBe(true)
    await waitFor(() =>
      expect(fake.callsOf('tasks.setExcluded').at(-1)).toEqual({
        id: 's4',
        paths: [],
        hunks: [{ path: 'src/b.ts', key: K1 }],
      }),
    )
    expect(screen.getByLabelText('Totals').textContent).not.toMatch(/partly/)
  })

  test('a hunk left out from the editor makes the file partial in the tree and is saved', async () => {
    await load({ id: 's7' })
    render(<ReviewPage id="s7" Editor={FakeEditor} />)
    fireEvent.click(await screen.findByText('a.ts'))
    expect(editorProps?.modelKey).toBe('s7/src/a.ts')
    expect(editorProps?.hunks?.map((h) => h.key)).toEqual([K1, K2])
    act(() => editorProps!.onToggleHunk!(K2))
    expect(editorProps?.excluded?.get(K2)).toBe('all')
    expect(box('Include src/a.ts').indeterminate).toBe(true)
    await waitFor(() =>
      expect(fake.callsOf('tasks.setExcluded')).toEqual([
        { id: 's7', paths: [], hunks: [{ path: 'src/a.ts', key: K2 }] },
      ]),
    )
    // Space on the tree includes the partial file whole again.
    fireEvent.keyDown(window, { key: ' ' })
    await waitFor(() => expect(fake.callsOf('tasks.setExcluded').at(-1)?.hunks).toEqual([]))
    expect(box('Include src/a.ts').indeterminate).toBe(false)
  })

  test('the page says how many left-out hunks a turn dropped', async () => {
    await load({
      id: 's5',
      excludedHunks: [
        { path: 'src/a.ts', key: K1 },
        { path: 'src/a.ts', key: K2 },
        { path: 'src/b.ts', key: K1 },
      ],
    })
    render(<ReviewPage id="s5" Editor={FakeEditor} />)
    await screen.findByText('a.ts')
    expect(screen.queryByText(/no longer exist/)).toBeNull()
    act(() => fake.emit({ kind: 'task-updated', task: { ...holder.record, status: 'running', turns: 2 } }))
    const after = { ...holder.record, turns: 2, excludedHunks: [{ path: 'src/a.ts', key: K1 }] }
    act(() => fake.emit({ kind: 'task-updated', task: after }))
    expect(await screen.findByText(/2 left-out hunks no longer exist after the last turn/)).toBeTruthy()
  })
})

describe('discards', () => {
  test('"Undo discard of …" names the latest discard; it and Ctrl+Z call tasks.undoDiscard', async () => {
    await load({
      id: 's6',
      discards: [
        { id: 'd1', at: '', path: 'README.md', patch: '', undo: [] },
        { id: 'd2', at: '', path: 'src/a.ts', hunk: K1, patch: '', undo: [] },
      ],
    })
    render(<ReviewPage id="s6" Editor={FakeEditor} />)
    fireEvent.click(await screen.findByRole('button', { name: 'Undo discard of src/a.ts (hunk)' }))
    expect(await screen.findByRole('button', { name: 'Undo discard of README.md' })).toBeTruthy()
    fireEvent.keyDown(window, { key: 'z', ctrlKey: true })
    await waitFor(() => expect(screen.queryByRole('button', { name: /Undo discard/ })).toBeNull())
    expect(fake.callsOf('tasks.undoDiscard')).toEqual([{ id: 's6' }, { id: 's6' }])
    // Each undo reloaded the diff.
    expect(fake.callsOf('tasks.diff').length).toBeGreaterThanOrEqual(3)
  })
})
