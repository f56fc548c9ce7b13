/// <reference types="vite/client" />
/**
 * Monaco, bundled with the app: the editor and its language workers come from our own files (Vite `?worker`
 * imports), never from a CDN. Import this module only from code that is loaded lazily (the review's diff
 * editor), so Monaco stays out of the initial bundle.
 *
 * The review drives `monaco.editor.createDiffEditor` directly rather than through @monaco-editor/react:
 * that wrapper disposes a diff editor's models before the editor (Monaco ≥ 0.52 reports "TextModel got
 * disposed before DiffEditorWidget model got reset"), and its loader carries a CDN default
 * (a public CDN URL) into the bundle even when `loader.config({ monaco })` means it is never used. Code
 * that adopts the wrapper later must call `loader.config({ monaco })` with this module's `monaco`.
 */
import * as monaco from 'monaco-editor'
import EditorWorker from 'monaco-editor/editor/editor.worker?worker'
import CssWorker from 'monaco-editor/language/css/css.worker?worker'
import HtmlWorker from 'monaco-editor/language/html/html.worker?worker'
import JsonWorker from 'monaco-editor/language/json/json.worker?worker'
import TsWorker from 'monaco-editor/language/typescript/ts.worker?worker'

/** Which worker serves a model's language; TypeScript and JavaScript models go to the TS worker. */
export function workerFor(label: string): 'ts' | 'json' | 'css' | 'html' | 'editor' {
  if (label === 'typescript' || label === 'javascript') return 'ts'
  if (label === 'json') return 'json'
  if (label === 'css' || label === 'scss' || label === 'less') return 'css'
  if (label === 'html' || label === 'handlebars' || label === 'razor') return 'html'
  return 'editor'
}

const WORKERS = { ts: TsWorker, json: JsonWorker, css: CssWorker, html: HtmlWorker, editor: EditorWorker }

self.MonacoEnvironment = {
  getWorker: (_workerId: string, label: string) => new WORKERS[workerFor(label)](),
}

// A read-only review of a few files: no project around them, so type errors would only be noise.
for (const defaults of [monaco.typescript.typescriptDefaults, monaco.typescript.javascriptDefaults]) {
  defaults.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: true })
}

// Colors that sit with the app's own surfaces (see review.css), light and dark.
monaco.editor.defineTheme('codex-light', {
  base: 'vs',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#ffffff', 'diffEditor.diagonalFill': '#00000010' },
})
monaco.editor.defineTheme('codex-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#1a1a1e', 'diffEditor.diagonalFill': '#ffffff10' },
})

/** Languages Monaco knows; anything else is shown as plain text. */
const known = new Set(monaco.languages.getLanguages().map((l) => l.id))
export const knownLanguage = (id: string): string => (known.has(id) ? id : 'plaintext')

export { monaco }
