// @vitest-environment happy-dom
import { act, cleanup, render } from '@testing-library/react'
import { afterEach, beforeAll, expect, test, vi } from 'vitest'
import type { DiffHunk } from '../../../src/shared/review'
import type { DiffEditorProps, HunkExcluded } from '../../../src/renderer/src/features/review/diff-editor'
import type { monaco as Monaco } from '../../../src/renderer/src/lib/monaco'

/**
 * Real Monaco (in happy-dom: no layout, but models, decorations, actions and context keys all run): a
 * selection change only redraws decorations, and the read-mode keys are off while editing.
 */
let monaco: typeof Monaco
let MonacoDiff: (props: DiffEditorProps) => React.JSX.Element
beforeAll(async () => {
  monaco = (await import('../../../src/renderer/src/lib/monaco')).monaco
  MonacoDiff = (await import('../../../src/renderer/src/features/review/monaco-diff')).default
}, 60_000)
afterEach(cleanup)

const LINES = 5000
/** A 5,000-line file with every 100th line changed: 50 hunks. */
function bigFile(): { original: string; modified: string; hunks: DiffHunk[] } {
  const old = Array.from({ length: LINES }, (_, i) => `row ${i + 1}`)
  const now = old.map((l, i) => ((i + 1) % 100 === 0 ? `${l} (edited)` : l))
  const hunks = Array.from({ length: 50 }, (_, n): DiffHunk => {
    const line = (n + 1) * 100
    return {
      key: n.toString(16).padStart(40, '0'),
      header: `@@ -${line - 3},7 +${line - 3},7 @@`,
      oldStart: line - 3,
      oldLines: 7,
      newStart: line - 3,
      newLines: 7,
      changes: [
        { kind: 'del', line },
        { kind: 'add', line },
      ],
    }
  })
  return { original: old.join('\n') + '\n', modified: now.join('\n') + '\n', hunks }
}

const glyphs = (model: Monaco.editor.ITextModel, cls: string): number[] =>
  model
    .getAllDecorations()
    .filter((d) => d.options.glyphMarginClassName?.includes(cls))
    .map((d) => d.range.startLineNumber)

test('toggling a hunk on a 5,000-line file redraws decorations only: the models are kept', () => {
  const { original, modified, hunks } = bigFile()
  const base: DiffEditorProps = {
    original,
    modified,
    hunks,
    language: 'plaintext',
    modelKey: 't/big.txt',
    sideBySide: true,
    dark: false,
  }
  const { rerender } = render(<MonacoDiff {...base} excluded={new Map()} />)
  const [diff] = monaco.editor.getDiffEditors()
  const right = diff!.getModifiedEditor().getModel()!
  const left = diff!.getOriginalEditor().getModel()!
  expect(glyphs(right, 'is-included')).toHaveLength(50)
  expect(
    right.getAllDecorations().filter((d) => d.options.linesDecorationsClassName?.includes('codex-line-box')),
  ).toHaveLength(50)
  const createModel = vi.spyOn(monaco.editor, 'createModel')
  const excluded: HunkExcluded = new Map([[hunks[1]!.key, 'all']])
  const started = performance.now()
  rerender(<MonacoDiff {...base} excluded={excluded} />)
  const ms = performance.now() - started
  expect(createModel).not.toHaveBeenCalled()
  expect(diff!.getModifiedEditor().getModel()).toBe(right)
  expect(diff!.getOriginalEditor().getModel()).toBe(left)
  expect(glyphs(right, 'is-excluded')).toEqual([200])
  expect(
    left
      .getAllDecorations()
      .filter((d) => d.options.inlineClassName === 'codex-line-excluded')
      .map((d) => d.range.startLineNumber),
  ).toEqual([200])
  console.log(`hunk toggle on a 5,000-line file, 50 hunks (happy-dom, decorations only): ${ms.toFixed(1)} ms`)
  createModel.mockRestore()
})

test('the read-mode keys (Space, x, c, n, p, e) are on while reading and off while editing', () => {
  const [onToggleHunk, onToggleLine, onCommentLines, onEditRequest] = [vi.fn(), vi.fn(), vi.fn(), vi.fn()]
  const { original, modified, hunks } = bigFile()
  const base: DiffEditorProps = {
    original,
    modified,
    hunks,
    language: 'plaintext',
    modelKey: 't/keys.txt',
    sideBySide: true,
    dark: false,
    onToggleHunk,
    onToggleLine,
    onCommentLines,
    onEditRequest,
  }
  const { rerender } = render(<MonacoDiff {...base} />)
  const right = monaco.editor.getDiffEditors().at(-1)!.getModifiedEditor()
  const space = right.getSupportedActions().find((a) => a.label === 'Include or leave out the hunk')!
  expect(right.getSupportedActions().filter((a) => a.id.includes(':codex.review.'))).toHaveLength(6)
  right.setPosition({ lineNumber: 150, column: 1 })
  expect(space.isSupported()).toBe(true)
  act(() => void space.run())
  expect(onToggleHunk).toHaveBeenCalledWith(hunks[1]!.key)
  const run = (label: string): void =>
    act(
      () =>
        void right
          .getSupportedActions()
          .find((a) => a.label === label)!
          .run(),
    )
  run('Next hunk')
  expect(right.getPosition()?.lineNumber).toBe(200)
  run('Include or leave out the line')
  expect(onToggleLine).toHaveBeenCalledWith(hunks[1]!.key, 1)
  right.setSelection(new monaco.Selection(199, 3, 202, 1))
  run('Comment on the selected lines')
  expect(onCommentLines).toHaveBeenCalledWith('new', 199, 201)
  right.setPosition({ lineNumber: 250, column: 1 })
  run('Previous hunk')
  expect(right.getPosition()?.lineNumber).toBe(200)
  run('Edit the file')
  expect(onEditRequest).toHaveBeenCalledOnce()
  // The hunk bar's arrows: a new request moves the cursor; the same one again does not.
  rerender(<MonacoDiff {...base} revealHunk={{ key: hunks[3]!.key, at: 1 }} />)
  expect(right.getPosition()?.lineNumber).toBe(400)
  right.setPosition({ lineNumber: 10, column: 1 })
  rerender(<MonacoDiff {...base} revealHunk={{ key: hunks[3]!.key, at: 1 }} />)
  expect(right.getPosition()?.lineNumber).toBe(10)
  rerender(<MonacoDiff {...base} editable />)
  expect(space.isSupported()).toBe(false)
})

test('an added file is shown alone, all added, with its line boxes; no diff editor', () => {
  const before = monaco.editor.getDiffEditors().length
  const hunk: DiffHunk = {
    key: 'a'.repeat(40),
    header: '@@ -0,0 +1,2 @@',
    oldStart: 0,
    oldLines: 0,
    newStart: 1,
    newLines: 2,
    changes: [
      { kind: 'add', line: 1 },
      { kind: 'add', line: 2 },
    ],
  }
  render(
    <MonacoDiff
      original=""
      modified={'a\nb\n'}
      hunks={[hunk]}
      layout="added"
      language="plaintext"
      modelKey="t/new.txt"
      sideBySide
      dark={false}
    />,
  )
  expect(monaco.editor.getDiffEditors().length).toBe(before)
  const [editor] = monaco.editor.getEditors().filter((e) => e.getModel()?.uri.authority === 'added')
  const model = editor!.getModel()!
  expect(model.getValue()).toBe('a\nb\n')
  expect(model.getAllDecorations().some((d) => d.options.className === 'codex-line-added')).toBe(true)
  expect(glyphs(model, 'codex-hunk-box')).toEqual([1])
})
