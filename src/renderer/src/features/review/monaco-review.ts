import type { DiffHunk } from '../../../../shared/review'
import { monaco } from '../../lib/monaco'
import type { DiffEditorProps } from './diff-editor'
import {
  changeAt,
  gutterMarks,
  hunkAtCursor,
  hunkBeside,
  hunkContaining,
  hunkLine,
  type LineMark,
  type Side,
} from './monaco-gutter'

type CodeEditor = monaco.editor.IStandaloneCodeEditor
type Decoration = monaco.editor.IModelDeltaDecoration

const { GlyphMarginLane, MouseTargetType } = monaco.editor

const HUNK_TITLE = { included: 'Included', partial: 'Partly included', excluded: 'Left out' } as const

function decorationsOf(marks: LineMark[], model: monaco.editor.ITextModel): Decoration[] {
  const out: Decoration[] = []
  const lines = model.getLineCount()
  for (const mark of marks) {
    if (mark.line > lines) continue
    const range = new monaco.Range(mark.line, 1, mark.line, model.getLineMaxColumn(mark.line))
    if (mark.hunk)
      out.push({
        range,
        options: {
          glyphMarginClassName: `codex-hunk-box is-${mark.hunk.state}`,
          glyphMargin: { position: GlyphMarginLane.Left },
          glyphMarginHoverMessage: {
            value: `${HUNK_TITLE[mark.hunk.state]}: click to toggle the hunk (Space)`,
          },
        },
      })
    if (mark.change)
      out.push({
        range,
        options: {
          linesDecorationsClassName: `codex-line-box${mark.change.excluded ? ' is-excluded' : ''}`,
          inlineClassName: mark.change.excluded ? 'codex-line-excluded' : null,
        },
      })
    if (mark.comments)
      out.push({
        range,
        options: {
          glyphMarginClassName: 'codex-comment-glyph',
          // Beside a hunk's box when it shares the line; else in its place (one lane, no wider margin).
          glyphMargin: { position: mark.hunk ? GlyphMarginLane.Right : GlyphMarginLane.Left },
          glyphMarginHoverMessage: { value: 'Show the comment' },
        },
      })
  }
  return out
}

/** The last line of a selection, not counting a line it only reaches at its first column. */
function selectedLines(editor: CodeEditor): { start: number; end: number } | undefined {
  const s = editor.getSelection()
  if (!s) return undefined
  const end = s.endLineNumber > s.startLineNumber && s.endColumn === 1 ? s.endLineNumber - 1 : s.endLineNumber
  return { start: s.startLineNumber, end }
}

let contextKeys = 0

/** The review's gutter, clicks and read-mode keys on one code editor (a side of the diff, or a lone file). */
export interface ReviewLayer {
  /** Redraws the boxes and glyphs from the current props (decorations only; the model is kept). */
  update(): void
  /** Editing on: the read-mode keys type again. */
  setReading(reading: boolean): void
  /** Moves the cursor to a hunk's box and shows it. */
  reveal(hunk: DiffHunk): void
  dispose(): void
}

/**
 * Attaches the review to `editor`, the `side` of the change it shows. `current` reads the editor's latest
 * props; `inline` says whether deletions-only hunks are marked on this (modified) side.
 */
export function attachReview(
  editor: CodeEditor,
  side: Side,
  current: () => DiffEditorProps,
  inline: () => boolean = () => false,
): ReviewLayer {
  const boxes = editor.createDecorationsCollection()
  const hover = editor.createDecorationsCollection()
  let marks = new Map<number, LineMark>()
  const readingKey = `codexReading${++contextKeys}`
  const reading = editor.createContextKey<boolean>(readingKey, true)
  const hunks = (): DiffHunk[] => current().hunks ?? []
  const cursorLine = (): number => editor.getPosition()?.lineNumber ?? 1

  const update = (): void => {
    const model = editor.getModel()
    const props = current()
    const list = gutterMarks({
      hunks: props.hunks,
      excluded: props.excluded,
      comments: props.comments,
      side,
      inline: inline(),
    })
    marks = new Map(list.map((m) => [m.line, m]))
    boxes.set(model ? decorationsOf(list, model) : [])
  }

  const reveal = (hunk: DiffHunk): void => {
    const lineNumber = hunkLine(hunk, side)
    editor.setPosition({ lineNumber, column: 1 })
    editor.revealLineInCenterIfOutsideViewport(lineNumber)
  }

  const onGlyph = (line: number, lane: monaco.editor.GlyphMarginLane | undefined): void => {
    const props = current()
    const mark = marks.get(line)
    if (mark?.comments && (lane === GlyphMarginLane.Right || !mark.hunk))
      props.onOpenComment?.(mark.comments[0]!)
    else if (mark?.hunk) props.onToggleHunk?.(mark.hunk.key)
    else props.onCommentLines?.(side, line, line)
  }

  const mouse = editor.onMouseDown((e) => {
    const t = e.target
    if (t.type === MouseTargetType.GUTTER_GLYPH_MARGIN)
      onGlyph(t.position.lineNumber, t.detail.glyphMarginLane)
    else if (t.type === MouseTargetType.GUTTER_LINE_DECORATIONS) {
      const change = marks.get(t.position.lineNumber)?.change
      if (change) current().onToggleLine?.(change.key, change.index)
    }
  })
  // Hovering an empty spot of the glyph margin offers a comment there.
  let hovered = 0
  const move = editor.onMouseMove((e) => {
    const t = e.target
    const at = t.type === MouseTargetType.GUTTER_GLYPH_MARGIN ? t.position.lineNumber : 0
    const line =
      at > 0 && current().onCommentLines && !marks.get(at)?.hunk && !marks.get(at)?.comments ? at : 0
    if (line === hovered) return
    hovered = line
    hover.set(
      line
        ? [
            {
              range: new monaco.Range(line, 1, line, 1),
              options: {
                glyphMarginClassName: 'codex-comment-add',
                glyphMargin: { position: GlyphMarginLane.Left },
                glyphMarginHoverMessage: { value: 'Comment on this line (or select lines and press c)' },
              },
            },
          ]
        : [],
    )
  })
  const leave = editor.onMouseLeave(() => {
    hovered = 0
    hover.clear()
  })
  const cursor = editor.onDidChangeCursorPosition((e) => {
    const hunk = hunkContaining(hunks(), side, e.position.lineNumber)
    if (hunk) current().onFocusHunk?.(hunk.key)
  })

  const keys: [number, string, () => void][] = [
    [
      monaco.KeyCode.Space,
      'Include or leave out the hunk',
      () => {
        const hunk = hunkAtCursor(hunks(), side, cursorLine())
        if (hunk) current().onToggleHunk?.(hunk.key)
      },
    ],
    [
      monaco.KeyCode.KeyX,
      'Include or leave out the line',
      () => {
        const change = changeAt(hunks(), side, cursorLine())
        if (change) current().onToggleLine?.(change.hunk.key, change.index)
      },
    ],
    [
      monaco.KeyCode.KeyC,
      'Comment on the selected lines',
      () => {
        const lines = selectedLines(editor)
        if (lines) current().onCommentLines?.(side, lines.start, lines.end)
      },
    ],
    [monaco.KeyCode.KeyN, 'Next hunk', () => jump(1)],
    [monaco.KeyCode.KeyP, 'Previous hunk', () => jump(-1)],
    [monaco.KeyCode.KeyE, 'Edit the file', () => current().onEditRequest?.()],
  ]
  const jump = (delta: 1 | -1): void => {
    const hunk = hunkBeside(hunks(), side, cursorLine(), delta)
    if (hunk) reveal(hunk)
  }
  const actions = keys.map(([key, label, run], i) =>
    editor.addAction({
      id: `codex.review.${readingKey}.${i}`,
      label,
      keybindings: [key],
      precondition: readingKey,
      run,
    }),
  )

  return {
    update,
    setReading: (value) => reading.set(value),
    reveal,
    dispose: () => {
      for (const d of [mouse, move, leave, cursor, ...actions]) d.dispose()
      boxes.clear()
      hover.clear()
    },
  }
}

/** What both the diff editor and a lone file's editor start with. */
export const BASE_OPTIONS = {
  readOnly: true,
  automaticLayout: true,
  minimap: { enabled: false },
  scrollBeyondLastLine: false,
  fontSize: 12.5,
  lineHeight: 19,
  fontFamily:
    "ui-monospace, 'SF Mono', 'Cascadia Code', 'JetBrains Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
  renderLineHighlight: 'none',
  stickyScroll: { enabled: false },
  // Monaco's word highlighter keeps one query for every editor, naming a model by its URI, and looks that
  // model up again later: after the review swapped a file's models (another turn, a follow-up) the lookup
  // rejects with "Model not found" unhandled. A review has no use for occurrence highlights.
  occurrencesHighlight: 'off',
  glyphMargin: true,
  lineDecorationsWidth: 14,
} satisfies monaco.editor.IEditorOptions

const MAX_ECHOES = 256

/**
 * What an editor itself reported through onChange since its model was set. A render can lag behind the
 * typing (React runs effects after paint; keystrokes keep coming): such a content is an echo of the user's
 * own edit, and replacing the model with it would drop the keystrokes typed since.
 */
export function remember(echoes: Set<string>, value: string): void {
  echoes.add(value)
  if (echoes.size > MAX_ECHOES) echoes.delete(echoes.values().next().value as string)
}

/**
 * Whether `model` already holds `text` for this file: the same text coming back (an edit echoed, or saved
 * and reloaded). Then the model is kept, with the cursor and the undo history.
 */
export function holds(
  model: monaco.editor.ITextModel | undefined,
  modelKey: string,
  text: string,
  echoes: ReadonlySet<string>,
): boolean {
  return Boolean(
    model && model.uri.path === `/${modelKey}` && (model.getValue() === text || echoes.has(text)),
  )
}
