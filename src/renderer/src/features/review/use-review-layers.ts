import { useEffect, type RefObject } from 'react'
import { monaco } from '../../lib/monaco'
import type { DiffEditorProps } from './diff-editor'
import { hunkAnchor, type Side } from './monaco-gutter'
import { remember, type ReviewLayer } from './monaco-review'

/** A review layer on one editor; `readOnly`: that editor never edits (the original side, a deleted file). */
export interface PlacedLayer {
  side: Side
  layer: ReviewLayer
  readOnly: boolean
}

/**
 * The editable editor's edits (the diff's right-hand side, or a lone file's): each new text, remembered as
 * the editor's own (see `remember`), goes to `onChange`, after `onEdit`; Ctrl/Cmd+S to `onSave`. Returns
 * the teardown of the whole mount: this listener, the review `layers`, then `release` (the models, detached
 * first) and the editor.
 */
export function wireEditor(setup: {
  editor: monaco.editor.IStandaloneCodeEditor
  mounted: { dispose(): void }
  layers: RefObject<PlacedLayer[]>
  echoes: Set<string>
  current: () => DiffEditorProps
  release: () => void
  onEdit?: () => void
}): () => void {
  const { editor, layers, echoes, current } = setup
  const changes = editor.onDidChangeModelContent(() => {
    setup.onEdit?.()
    const value = editor.getValue()
    remember(echoes, value)
    current().onChange?.(value)
  })
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => current().onSave?.())
  return () => {
    changes.dispose()
    for (const l of layers.current) l.layer.dispose()
    layers.current = []
    setup.release()
    setup.mounted.dispose()
  }
}

/**
 * Keeps an editor's review layers in step with its props: boxes and glyphs when the selection or comments
 * change (decorations only, never the models), the read-mode keys off while editing, and the hunk bar's
 * requests to show a hunk.
 */
export function useReviewLayers(layers: RefObject<PlacedLayer[]>, props: DiffEditorProps): void {
  const { hunks, excluded, comments, sideBySide, editable = false, revealHunk } = props
  useEffect(() => {
    for (const l of layers.current) l.layer.update()
  }, [layers, hunks, excluded, comments, sideBySide])
  useEffect(() => {
    for (const l of layers.current) l.layer.setReading(l.readOnly || !editable)
  }, [layers, editable])
  const at = revealHunk?.at
  useEffect(() => {
    const hunk = hunks?.find((h) => h.key === revealHunk?.key)
    if (!hunk || at === undefined) return
    const { side } = hunkAnchor(hunk, !sideBySide)
    const target = layers.current.find((l) => l.side === side) ?? layers.current[0]
    target?.layer.reveal(hunk)
    // Only a new request moves the cursor, not a re-render with the same one.
  }, [at])
}
