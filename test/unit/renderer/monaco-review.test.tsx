// @vitest-environment happy-dom
import { act, cleanup, render } from '@testing-library/react'
import { afterEach, beforeAll, expect, test, vi } from 'vitest'
import type { DiffHunk } from '../../../src/shared/review'
import type { DiffEditorProps, HunkExcluded } from '../../../src/renderer/src/features/review/diff-editor'
import type { monaco as Monaco } from '../../../src/renderer/src/lib/monaco'
import { bigFile } from './big-file'

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

test('inline, a deletions-only hunk’s box moves onto the modified side, where Space toggles it', () => {
  const onToggleHunk = vi.fn()
  const removed: DiffHunk = {
    key: 'd'.repeat(40),
    header: '@@ -4,3 +4,1 @@',
    oldStart: 4,
    oldLines: 3,
    newStart: 4,
    newLines: 1,
    changes: [
      { kind: 'del', line: 5 },
      { kind: 'del', line: 6 },
    ],
  }
  const base: DiffEditorProps = {
    original: ['a', 'b', 'c', 'd', 'gone 1', 'gone 2', 'e', 'f'].join('\n') + '\n',
    modified: ['a', 'b', 'c', 'd', 'e', 'f'].join('\n') + '\n',
    hunks: [removed],
    excluded: new Map(),
    language: 'plaintext',
    modelKey: 't/inline.txt',
    sideBySide: true,
    dark: false,
    onToggleHunk,
  }
  const { rerender } = render(<MonacoDiff {...base} />)
  const diff = monaco.editor.getDiffEditors().at(-1)!
  const right = diff.getModifiedEditor()
  const left = diff.getOriginalEditor()
  expect(glyphs(left.getModel()!, 'codex-hunk-box')).toEqual([5])
  expect(glyphs(right.getModel()!, 'codex-hunk-box')).toEqual([])
  rerender(<MonacoDiff {...base} sideBySide={false} />)
  // The original editor is hidden inline: the box sits on the modified line next to where the lines were.
  expect(glyphs(right.getModel()!, 'codex-hunk-box')).toEqual([4])
  right.setPosition({ lineNumber: 4, column: 1 })
  act(
    () =>
      void right
        .getSupportedActions()
        .find((a) => a.label === 'Include or leave out the hunk')!
        .run(),
  )
  expect(onToggleHunk).toHaveBeenCalledWith(removed.key)
  rerender(<MonacoDiff {...base} sideBySide={false} excluded={new Map([[removed.key, 'all']])} />)
  expect(glyphs(right.getModel()!, 'codex-hunk-box is-excluded')).toEqual([4])
})
