// @vitest-environment happy-dom
import { diffOf, fake, file, ok, stubLayout, taskRecord } from './task-fake-api'
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, beforeAll, expect, test } from 'vitest'
import type { DiffResult } from '../../../src/shared/diff'
import type { DiffEditorProps } from '../../../src/renderer/src/features/review/diff-editor'
import { ReviewPage } from '../../../src/renderer/src/features/review/review-page'
import { skippedSentence } from '../../../src/renderer/src/features/review/skipped-note'
import { taskListStore } from '../../../src/renderer/src/lib/tasks'

beforeAll(() => stubLayout())
afterEach(cleanup)

function FakeEditor(props: DiffEditorProps): React.JSX.Element {
  return <pre data-testid="diff-editor">{props.modified}</pre>
}

async function show(id: string, diff: DiffResult): Promise<void> {
  const record = taskRecord({ id, status: 'review', turns: 1 })
  fake.handlers = {
    'tasks.list': () => ok([record]),
    'tasks.diff': () => ok(diff),
    'tasks.events': () => ok([]),
  }
  await taskListStore().reload()
  render(<ReviewPage id={id} Editor={FakeEditor} />)
  await screen.findByText('app.ts')
}

test('entries git could not stage are named above the file tree, with why', async () => {
  await show('s1', {
    ...diffOf([file({ newPath: 'src/app.ts' })]),
    skipped: [
      { path: 'pipe', reason: 'is a FIFO' },
      { path: 'GIT~1/x', reason: 'is a name git refuses' },
    ],
  })
  const note = screen.getByRole('note', { name: 'Entries left out' })
  expect(note.textContent).toContain('2 entries were left out: pipe is a FIFO; GIT~1/x is a name git refuses')
  // Above the tree: the note comes before the first file row in the document.
  const tree = screen.getByRole('tree', { name: 'Changed files' })
  expect(note.compareDocumentPosition(tree) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy()
})

test('no note when nothing was left out', async () => {
  await show('s2', diffOf([file({ newPath: 'src/app.ts' })]))
  expect(screen.queryByRole('note', { name: 'Entries left out' })).toBeNull()
})

test('the sentence counts, caps the list and shows invisible code points escaped', () => {
  expect(skippedSentence([{ path: 'sock', reason: 'is a socket' }])).toBe(
    '1 entry was left out: sock is a socket',
  )
  const many = Array.from({ length: 7 }, (_, i) => ({ path: `p${i}`, reason: 'is a FIFO' }))
  expect(skippedSentence(many)).toMatch(/^7 entries were left out: p0 is a FIFO; .*p4 is a FIFO; and 2 more$/)
  expect(skippedSentence([{ path: '.g\u200cit/x', reason: 'is a name git refuses' }])).toContain(
    '.g\\u{200c}it/x',
  )
})
