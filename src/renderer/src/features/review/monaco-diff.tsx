import { useEffect, useLayoutEffect, useRef } from 'react'
import { knownLanguage, monaco } from '../../lib/monaco'
import type { DiffEditorProps } from './diff-editor'

type DiffEditor = ReturnType<typeof monaco.editor.createDiffEditor>

const OPTIONS: Parameters<typeof monaco.editor.createDiffEditor>[1] = {
  readOnly: true,
  originalEditable: false,
  useInlineViewWhenSpaceIsLimited: false,
  automaticLayout: true,
  minimap: { enabled: false },
  scrollBeyondLastLine: false,
  renderOverviewRuler: false,
  fontSize: 12.5,
  lineHeight: 19,
  fontFamily:
    "ui-monospace, 'SF Mono', 'Cascadia Code', 'JetBrains Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
  hideUnchangedRegions: { enabled: true, contextLineCount: 4, minimumLineCount: 6 },
  renderLineHighlight: 'none',
  stickyScroll: { enabled: false },
}

/** Detaches the models from the editor first, then disposes them (Monaco asserts that order). */
function release(editor: DiffEditor): void {
  const models = editor.getModel()
  editor.setModel(null)
  models?.original.dispose()
  models?.modified.dispose()
}

/**
 * Monaco's diff editor; the right-hand side is editable when `editable` (each edit goes to `onChange`,
 * Ctrl/Cmd+S to `onSave`). One editor for the page; each file gets fresh models, and the previous ones are
 * released. Loaded lazily with Monaco.
 */
export default function MonacoDiff(props: DiffEditorProps): React.JSX.Element {
  const { original, modified, language, modelKey, sideBySide, dark, editable = false } = props
  const host = useRef<HTMLDivElement>(null)
  const editor = useRef<DiffEditor | null>(null)
  const callbacks = useRef(props)
  callbacks.current = props
  /**
   * What the editor itself reported through onChange since its model was set. A render can lag behind the
   * typing (React runs this effect after paint; keystrokes keep coming): such a `modified` is an echo of
   * the user's own edit, and replacing the model with it would drop the keystrokes typed since.
   */
  const echoes = useRef(new Set<string>())

  useLayoutEffect(() => {
    const created = monaco.editor.createDiffEditor(host.current!, OPTIONS)
    editor.current = created
    const right = created.getModifiedEditor()
    const changes = right.onDidChangeModelContent(() => {
      const value = right.getValue()
      remember(echoes.current, value)
      callbacks.current.onChange?.(value)
    })
    right.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => callbacks.current.onSave?.())
    return () => {
      changes.dispose()
      release(created)
      created.dispose()
      editor.current = null
    }
  }, [])

  useEffect(() => {
    const e = editor.current
    if (!e) return
    // The text the editor already holds coming back (an edit echoed, or saved and reloaded): keep the models,
    // the cursor and the undo history.
    const current = e.getModel()
    const uriKey = current?.modified.uri.path
    if (
      current &&
      uriKey === `/${modelKey}` &&
      current.original.getValue() === original &&
      (current.modified.getValue() === modified || echoes.current.has(modified))
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
  }, [original, modified, language, modelKey])

  useEffect(() => editor.current?.updateOptions({ renderSideBySide: sideBySide }), [sideBySide])
  useEffect(() => editor.current?.updateOptions({ readOnly: !editable }), [editable])
  useEffect(() => monaco.editor.setTheme(dark ? 'codex-dark' : 'codex-light'), [dark])

  return <div ref={host} className="monaco-host" />
}

const MAX_ECHOES = 256

function remember(echoes: Set<string>, value: string): void {
  echoes.add(value)
  if (echoes.size > MAX_ECHOES) echoes.delete(echoes.values().next().value as string)
}
