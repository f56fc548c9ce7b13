import { formatDuration } from '../../lib/format'
import type { ToolResult } from './timeline-model'
import { isLongOutput, lineCount, OutputBlock } from './output-block'
import './tool-row.css'

export interface Expansion {
  isExpanded(key: string): boolean
  toggle(key: string): void
}

/** A string field of a tool call's arguments (the model's JSON), if present. */
function field(args: unknown, name: string): string | undefined {
  if (!args || typeof args !== 'object') return undefined
  const value = (args as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined
}

function prefixLines(text: string, prefix: string): string {
  return text.replace(/\n$/, '').replace(/^/gm, prefix)
}

const ICONS: Record<string, string> = {
  shell: '›_',
  read_file: '◧',
  write_file: '✚',
  edit_file: '✎',
  finish: '✓',
}

function ToolArgs(props: { name: string; args: unknown; id: string; ex: Expansion }): React.JSX.Element {
  const { name, args, id, ex } = props
  const path = field(args, 'path')
  switch (name) {
    case 'shell':
      return (
        <pre className="tool-command">
          <span className="prompt-sign">$ </span>
          {field(args, 'command') ?? ''}
        </pre>
      )
    case 'read_file': {
      const start = field(args, 'start_line')
      const end = field(args, 'end_line')
      return (
        <div className="tool-target">
          <code>{path}</code>
          {(start || end) && <span className="muted"> · lines {`${start ?? '1'}–${end ?? 'end'}`}</span>}
        </div>
      )
    }
    case 'edit_file': {
      const before = field(args, 'old_string') ?? ''
      const after = field(args, 'new_string') ?? ''
      const long = isLongOutput(before) || isLongOutput(after)
      const open = !long || ex.isExpanded(`${id}:args`)
      return (
        <div className="tool-edit">
          <div className="tool-target">
            <code>{path}</code>
            <span className="muted">
              {' '}
              · −{lineCount(before)} +{lineCount(after)} lines
            </span>
          </div>
          {open && (
            <div className="edit-diff">
              <pre className="edit-before">{prefixLines(before, '− ')}</pre>
              <pre className="edit-after">{prefixLines(after, '+ ')}</pre>
            </div>
          )}
          {long && (
            <button type="button" className="link" onClick={() => ex.toggle(`${id}:args`)}>
              {open ? 'Hide the edit' : 'Show the edit'}
            </button>
          )}
        </div>
      )
    }
    case 'write_file': {
      const content = field(args, 'content') ?? ''
      return (
        <div className="tool-edit">
          <div className="tool-target">
            <code>{path}</code>
            <span className="muted"> · {lineCount(content)} lines written</span>
          </div>
          <OutputBlock
            text={prefixLines(content, '+ ')}
            tone="plain"
            label="content"
            expanded={ex.isExpanded(`${id}:args`)}
            onToggle={() => ex.toggle(`${id}:args`)}
          />
        </div>
      )
    }
    case 'finish':
      return <p className="tool-summary">{field(args, 'summary')}</p>
    default:
      return <pre className="tool-json">{JSON.stringify(args, null, 2)}</pre>
  }
}

function ResultBadge({ result, cutOff }: { result?: ToolResult; cutOff?: boolean }): React.JSX.Element {
  if (!result && cutOff)
    return (
      <span className="tool-state failed" title="The turn ended before this call finished">
        ✗ cut off
      </span>
    )
  if (!result)
    return (
      <span className="tool-state running" aria-label="Running">
        <span className="spinner" aria-hidden="true" /> running
      </span>
    )
  return (
    <span className={`tool-state ${result.ok ? 'ok' : 'failed'}`}>
      {result.ok ? '✓ ok' : '✗ failed'}
      <span className="muted">
        {' '}
        · {result.durationMs < 1000 ? `${result.durationMs} ms` : formatDuration(result.durationMs)}
      </span>
    </span>
  )
}

/** One tool call: what it was asked (a command line, a before/after edit, a path) and what came back. */
export function ToolRow(props: {
  id: string
  name: string
  args: unknown
  result?: ToolResult
  cutOff?: boolean
  ex: Expansion
}): React.JSX.Element {
  const { id, name, args, result, cutOff, ex } = props
  const showOutput = result && name !== 'finish' && !(name === 'edit_file' && result.ok)
  return (
    <div className={`tl-tool${result && !result.ok ? ' is-failed' : ''}`}>
      <div className="tl-tool-head">
        <span className="tool-icon" aria-hidden="true">
          {ICONS[name] ?? '⚙'}
        </span>
        <span className="tool-name">{name}</span>
        <ResultBadge result={result} cutOff={cutOff} />
      </div>
      <ToolArgs name={name} args={args} id={id} ex={ex} />
      {showOutput && (
        <OutputBlock
          text={result.output}
          tone={result.ok ? 'ok' : 'failed'}
          expanded={ex.isExpanded(`${id}:out`)}
          onToggle={() => ex.toggle(`${id}:out`)}
        />
      )}
    </div>
  )
}
