/** Output longer than this (lines or characters) starts collapsed to its first lines. */
export const COLLAPSE_LINES = 12
export const COLLAPSE_CHARS = 1500
const PREVIEW_LINES = 6

export function isLongOutput(text: string): boolean {
  if (text.length > COLLAPSE_CHARS) return true
  let lines = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1))
    if (++lines > COLLAPSE_LINES) return true
  return false
}

export function lineCount(text: string): number {
  if (!text) return 0
  let n = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < text.length - 1; i = text.indexOf('\n', i + 1)) n++
  return n
}

function preview(text: string): string {
  let end = 0
  for (let i = 0; i < PREVIEW_LINES; i++) {
    const next = text.indexOf('\n', end)
    if (next === -1) return text.slice(0, COLLAPSE_CHARS / 2)
    end = next + 1
  }
  return text.slice(0, Math.min(end - 1, COLLAPSE_CHARS / 2))
}

/**
 * Monospace output; long output shows its first lines and a toggle. `expanded` lives with the caller so it
 * survives the row being unmounted and remounted by the virtualized list.
 */
export function OutputBlock(props: {
  text: string
  expanded: boolean
  onToggle: () => void
  tone?: 'ok' | 'failed' | 'plain'
  label?: string
}): React.JSX.Element {
  const { text, expanded, onToggle, tone = 'plain', label = 'output' } = props
  const long = isLongOutput(text)
  const shown = long && !expanded ? preview(text) : text
  return (
    <div className={`output output-${tone}`}>
      <pre className="output-text">{shown || <span className="muted">(no {label})</span>}</pre>
      {long && (
        <button type="button" className="output-toggle link" onClick={onToggle} aria-expanded={expanded}>
          {expanded ? 'Show less' : `Show all ${lineCount(text).toLocaleString()} lines`}
        </button>
      )}
    </div>
  )
}
