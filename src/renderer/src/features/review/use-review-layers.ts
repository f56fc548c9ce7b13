import { useEffect, type RefObject } from 'react'
import type { DiffEditorProps } from './diff-editor'
import { hunkAnchor, type Side } from './monaco-gutter'
import type { ReviewLayer } from './monaco-review'

/** A review layer on one editor; `readOnly`: that editor never edits (the original side, a deleted file). */
export interface PlacedLayer {
  side: Side
  layer: ReviewLayer
  readOnly: boolean
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
