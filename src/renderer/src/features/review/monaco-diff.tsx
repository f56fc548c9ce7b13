import { useEffect, useLayoutEffect, useRef } from 'react'
import { knownLanguage, monaco } from '../../lib/monaco'
import type { DiffEditorProps } from './diff-editor'
import MonacoSingle from './monaco-single'
import { attachReview, BASE_OPTIONS, holds } from './monaco-review'
import { useReviewLayers, wireEditor, type PlacedLayer } from './use-review-layers'

type DiffEditor = ReturnType<typeof monaco.editor.createDiffEditor>

const OPTIONS: Parameters<typeof monaco.editor.createDiffEditor>[1] = {
  ...BASE_OPTIONS,
  originalEditable: false,
  useInlineViewWhenSpaceIsLimited: false,
  renderOverviewRuler: false,
  hideUnchangedRegions: { enabled: true, contextLineCount: 4, minimumLineCount: 6 },
  // The gutter holds the review's own boxes: no revert arrows or menus of Monaco's there.
  renderMarginRevertIcon: false,
  renderGutterMenu: false,
}

/** Detaches the models from the editor first, then disposes them (Monaco asserts that order). */
function release(editor: DiffEditor): void {
  const models = editor.getModel()
  editor.setModel(null)
  models?.original.dispose()
  models?.modified.dispose()
}

/**
 * Monaco's diff editor with the review's gutter (hunk and line boxes, comment glyphs) and read-mode keys;
 * the right-hand side is editable when `editable` (each edit goes to `onChange`, Ctrl/Cmd+S to `onSave`).
 * One editor for the page; each file gets fresh models, and the previous ones are released; a selection
 * change only redraws decorations. A file on one side only (`layout`) is shown alone. Loaded lazily.
 */
export default function MonacoDiff(props: DiffEditorProps): React.JSX.Element {
  const { layout = 'diff' } = props
  return layout === 'diff' ? <MonacoDiffView {...props} /> : <MonacoSingle {...props} />
}

function MonacoDiffView(props: DiffEditorProps): React.JSX.Element {
  const { original, modified, language, modelKey, sideBySide, dark, editable = false } = props
  const host = useRef<HTMLDivElement>(null)
  const editor = useRef<DiffEditor | null>(null)
  const layers = useRef<PlacedLayer[]>([])
  const callbacks = useRef(props)
  callbacks.current = props
  const echoes = useRef(new Set<string>())

  useLayoutEffect(() => {
    const created = monaco.editor.createDiffEditor(host.current!, OPTIONS)
    editor.current = created
    const left = created.getOriginalEditor()
    const right = created.getModifiedEditor()
    const current = (): DiffEditorProps => callbacks.current
    layers.current = [
      { side: 'old', readOnly: true, layer: attachReview(left, 'old', current) },
      {
        side: 'new',
        readOnly: false,
        layer: attachReview(right, 'new', current, () => !current().sideBySide),
      },
    ]
    const teardown = wireEditor({
      editor: right,
      mounted: created,
      layers,
      echoes: echoes.current,
      current,
      release: () => release(created),
    })
    return () => {
      teardown()
      editor.current = null
    }
  }, [])

  useEffect(() => {
    const e = editor.current
    if (!e) return
    const current = e.getModel()
    if (
      current?.original.getValue() === original &&
      holds(current.modified, modelKey, modified, echoes.current)
    )
      return
    const lang = knownLanguage(language)
    const uri = (side: string): monaco.Uri =>
      monaco.Uri.from({ scheme: 'inmemory', authority: side, path: `/${modelKey}` })
    // The same file may come back with new content (a follow-up): release its old models before reusing the URIs.
    release(e)
    echoes.current.clear()
    e.setModel({
      original: monaco.editor.createModel(original, lang, uri('original')),
      modified: monaco.editor.createModel(modified, lang, uri('modified')),
    })
    for (const l of layers.current) l.layer.update()
  }, [original, modified, language, modelKey])

  useReviewLayers(layers, props)
  // The review's line boxes take the place of Monaco's +/- signs in the line decorations.
  const boxed = Boolean(props.hunks?.length)
  useEffect(() => editor.current?.updateOptions({ renderIndicators: !boxed }), [boxed])
  useEffect(() => editor.current?.updateOptions({ renderSideBySide: sideBySide }), [sideBySide])
  useEffect(() => editor.current?.updateOptions({ readOnly: !editable }), [editable])
  useEffect(() => monaco.editor.setTheme(dark ? 'codex-dark' : 'codex-light'), [dark])

  return <div ref={host} className="monaco-host" />
}
