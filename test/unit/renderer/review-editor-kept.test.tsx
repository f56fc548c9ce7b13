// @vitest-environment happy-dom
import { diffOf, fake, file, ok, reviewHandlers, taskRecord } from './task-fake-api'
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeAll, expect, test, vi } from 'vitest'
import type { TaskRecord } from '../../../src/shared/task'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import type { monaco as Monaco } from '../../../src/renderer/src/lib/monaco'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'
import { bigFile } from './big-file'

/**
 * The whole page with real Monaco (lazily loaded, as in the app): toggling hunks, saving the selection
 * and the record coming back never re-create the diff editor or its models.
 */
let monaco: typeof Monaco
beforeAll(async () => {
  // happy-dom has no canvas: Monaco's overview rulers draw on a context that does nothing.
  const noop = new Proxy({}, { get: () => () => undefined })
  HTMLCanvasElement.prototype.getContext = (() => noop) as unknown as HTMLCanvasElement['getContext']
  // Nor a clipboard that takes a pending write: Monaco's WebKit workaround would leave a cancelled promise.
  Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined })
  monaco = (await import('../../../src/renderer/src/lib/monaco')).monaco
}, 60_000)
afterEach(cleanup)

/** The changed file: 500 lines, every 100th changed (5 hunks). */
function changedFile(): ReturnType<typeof file> {
  const { original, modified, hunks } = bigFile(500)
  return file({ newPath: 'big.txt', oldContent: original, newContent: modified, hunks })
}

const excludedBoxes = (model: Monaco.editor.ITextModel): number[] =>
  model
    .getAllDecorations()
    .filter((d) => d.options.glyphMarginClassName?.includes('codex-hunk-box is-excluded'))
    .map((d) => d.range.startLineNumber)

test('the first hunk toggle (and the saved record coming back) keeps the editor and its models', async () => {
  const holder: { record: TaskRecord } = { record: taskRecord({ id: 'k1', status: 'review', turns: 1 }) }
  fake.handlers = {
    'tasks.list': () => ok([holder.record]),
    'tasks.diff': () => ok(diffOf([changedFile()])),
    'tasks.events': () => ok([]),
    ...reviewHandlers(holder),
  }
  await taskListStore().reload()
  const createDiffEditor = vi.spyOn(monaco.editor, 'createDiffEditor')
  const createModel = vi.spyOn(monaco.editor, 'createModel')
  render(<ReviewPage id="k1" />)
  await waitFor(() => expect(createModel).toHaveBeenCalledTimes(2), { timeout: 20_000 })
  expect(createDiffEditor).toHaveBeenCalledTimes(1)
  const [editor] = monaco.editor.getDiffEditors()
  const models = editor!.getModel()!
  createDiffEditor.mockClear()
  createModel.mockClear()

  fireEvent.click(screen.getByLabelText('Include this hunk'))
  expect(excludedBoxes(models.modified)).toEqual([100])
  // The selection is saved and the engine's record comes back into the store.
  await waitFor(() => expect(holder.record.excludedHunks).toHaveLength(1))
  await waitFor(() => expect(taskListStore().getSnapshot()[0]?.excludedHunks).toHaveLength(1))
  fireEvent.click(screen.getByLabelText('Include this hunk'))
  await waitFor(() => expect(taskListStore().getSnapshot()[0]?.excludedHunks).toEqual([]))
  expect(excludedBoxes(models.modified)).toEqual([])

  expect(createDiffEditor).not.toHaveBeenCalled()
  expect(createModel).not.toHaveBeenCalled()
  expect(monaco.editor.getDiffEditors()).toEqual([editor])
  expect(editor!.getModel()?.modified).toBe(models.modified)
  expect(editor!.getModel()?.original).toBe(models.original)
}, 60_000)
