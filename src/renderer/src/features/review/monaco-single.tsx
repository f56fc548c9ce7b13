import { useEffect, useLayoutEffect, useRef } from 'react'
import { knownLanguage, monaco } from '../../lib/monaco'
import type { DiffEditorProps } from './diff-editor'
import { attachReview, BASE_OPTIONS, holds } from './monaco-review'
import { useReviewLayers, wireEditor, type PlacedLayer } from './use-review-layers'

type CodeEditor = monaco.editor.IStandaloneCodeEditor

/** Detaches the model from the editor first, then disposes it. */
function release(editor: CodeEditor): void {
  const model = editor.getModel()
  editor.setModel(null)
  model?.dispose()
}

/** Every line of the file marked added (green) or removed (red). */
function fillOf(model: monaco.editor.ITextModel, added: boolean): monaco.editor.IModelDeltaDecoration[] {
  const kind = added ? 'added' : 'removed'
  return [
    {
      range: new monaco.Range(1, 1, model.getLineCount(), 1),
      options: {
        isWholeLine: true,
        className: `codex-line-${kind}`,
        marginClassName: `codex-margin-${kind}`,
      },
    },
  ]
}

/**
 * A file that exists on one side only, alone in a plain editor: an added file all green (its new text,
 * editable in edit mode), a deleted file all red and read-only. No empty other side, no phantom line.
 */
export default function MonacoSingle(props: DiffEditorProps): React.JSX.Element {
  const { original, modified, language, modelKey, dark, editable = false, layout } = props
  const added = layout !== 'deleted'
  const text = added ? modified : original
  const host = useRef<HTMLDivElement>(null)
  const editor = useRef<CodeEditor | null>(null)
  const fill = useRef<monaco.editor.IEditorDecorationsCollection | null>(null)
  const layers = useRef<PlacedLayer[]>([])
  const callbacks = useRef(props)
  callbacks.current = props
  const echoes = useRef(new Set<string>())

  useLayoutEffect(() => {
    const created = monaco.editor.create(host.current!, { ...BASE_OPTIONS, model: null })
    editor.current = created
    fill.current = created.createDecorationsCollection()
    const side = added ? 'new' : 'old'
    layers.current = [{ side, readOnly: !added, layer: attachReview(created, side, () => callbacks.current) }]
    const teardown = wireEditor({
      editor: created,
      mounted: created,
      layers,
      echoes: echoes.current,
      current: () => callbacks.current,
      release: () => release(created),
      onEdit: () => {
        const model = created.getModel()
        if (model) fill.current?.set(fillOf(model, added))
      },
    })
    return () => {
      teardown()
      editor.current = null
    }
  }, [added])

  useEffect(() => {
    const e = editor.current
    if (!e) return
    if (holds(e.getModel() ?? undefined, modelKey, text, echoes.current)) return
    release(e)
    echoes.current.clear()
    const uri = monaco.Uri.from({
      scheme: 'inmemory',
      authority: added ? 'added' : 'deleted',
      path: `/${modelKey}`,
    })
    const model = monaco.editor.createModel(text, knownLanguage(language), uri)
    e.setModel(model)
    fill.current?.set(fillOf(model, added))
    for (const l of layers.current) l.layer.update()
  }, [text, language, modelKey, added])

  useReviewLayers(layers, props)
  useEffect(() => editor.current?.updateOptions({ readOnly: !added || !editable }), [added, editable])
  useEffect(() => monaco.editor.setTheme(dark ? 'codex-dark' : 'codex-light'), [dark])

  return <div ref={host} className="monaco-host" />
}
