import { formatCost, formatDuration, formatTokens, STATUS_LABELS } from '../../lib/format'
import { ErrorView } from '../../lib/error-view'
import { BlockedRow } from './blocked-row'
import { lineCount, OutputBlock } from './output-block'
import type { TimelineItem } from './timeline-model'
import { TurnDiffLink } from './turn-diff-link'
import { ToolRow, type Expansion } from './tool-row'

const PHASES = {
  import: 'Importing the code',
  clone: 'Cloning the repository',
  image: 'Preparing the agent image',
  container: 'Starting the sandbox',
  setup: 'Running setup',
} as const

/** A step's cost is often a fraction of a cent: show enough digits to tell steps apart. */
const stepCost = (usd: number): string => (usd > 0 && usd < 0.01 ? `$${usd.toFixed(4)}` : formatCost(usd))

const COST_UNKNOWN_NOTE =
  'Cost unknown: this model has no price, so the cost limit cannot be checked; the budget is enforced in tokens only.'

const time = (iso: string): string =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** One row of the timeline, by kind. */
export function TimelineRow({ item, ex }: { item: TimelineItem; ex: Expansion }): React.JSX.Element {
  switch (item.kind) {
    case 'message':
      return (
        <div className={`tl-message${item.streaming ? ' is-streaming' : ''}`}>
          <div className="tl-label">Agent</div>
          <div className="tl-message-text">
            {item.text}
            {item.streaming && <WritingCursor />}
          </div>
        </div>
      )
    case 'tool_draft':
      return <ToolDraftRow item={item} />
    case 'tool':
      return (
        <ToolRow
          id={item.key}
          name={item.name}
          args={item.args}
          result={item.result}
          cutOff={item.cutOff}
          ex={ex}
        />
      )
    case 'usage':
      return (
        <>
          <div className="tl-step" title={`Step ${item.step} at ${time(item.at)}`}>
            <span className="tl-step-label">Step {item.step}</span>
            <span className="tl-step-rule" aria-hidden="true" />
            <span className="tl-step-usage">
              {formatTokens(item.promptTokens)} in · {formatTokens(item.completionTokens)} out ·{' '}
              {item.costUnknown ? 'cost unknown' : stepCost(item.costUsd)}
            </span>
          </div>
          {item.costNote && <div className="tl-note tl-warn">{COST_UNKNOWN_NOTE}</div>}
        </>
      )
    case 'retry':
      return (
        <div className="tl-note tl-warn">
          ↻ Model call retried (attempt {item.attempt}, after {formatDuration(item.delayMs)}): {item.reason}
        </div>
      )
    case 'compaction':
      return <CompactionRow item={item} ex={ex} />
    case 'status': {
      // The engine says "Follow-up" when one is queued and again when it starts preparing.
      const followUpQueued = item.message === 'Follow-up' && item.status === 'queued'
      return (
        <div className={`tl-note tl-status status-${item.status}`}>
          <span className="tl-dot" aria-hidden="true" />
          <strong>{followUpQueued ? 'Follow-up queued' : STATUS_LABELS[item.status]}</strong>
          {item.message && !followUpQueued && <span className="muted"> — {item.message}</span>}
          <span className="tl-time">{time(item.at)}</span>
        </div>
      )
    }
    case 'phase':
      return (
        <div className="tl-note">
          <span className="tl-dot" aria-hidden="true" />
          {PHASES[item.phase]}
          <span className="muted"> — {item.message}</span>
          <span className="tl-time">{time(item.at)}</span>
        </div>
      )
    case 'log': {
      const lines = lineCount(item.text)
      // A one-line note of the engine's (setup restored from cache, a default assumed) reads as a step.
      if (item.stream === 'system' && lines === 1)
        return (
          <div className="tl-note">
            <span className="tl-dot" aria-hidden="true" />
            {item.text.trim()}
            <span className="tl-time">{time(item.at)}</span>
          </div>
        )
      return (
        <div className="tl-log">
          <div className="tl-label">
            {item.stream === 'setup' ? 'Setup log' : 'System log'} · {lines.toLocaleString()}{' '}
            {lines === 1 ? 'line' : 'lines'}
          </div>
          <OutputBlock
            text={item.text}
            expanded={ex.isExpanded(item.key)}
            onToggle={() => ex.toggle(item.key)}
            label="log"
          />
        </div>
      )
    }
    case 'diff':
      return (
        <div className="tl-note tl-diff">
          <span className="tl-dot" aria-hidden="true" />
          Changes: {item.diff.files} {item.diff.files === 1 ? 'file' : 'files'}{' '}
          <span className="add">+{item.diff.additions}</span>{' '}
          <span className="del">−{item.diff.deletions}</span>
          {item.turn !== undefined && <TurnDiffLink turn={item.turn} />}
        </div>
      )
    case 'error':
      return <ErrorView error={item.error} />
    case 'blocked':
      return <BlockedRow item={item} />
  }
}

/** A draft shows the tail of its arguments: a long file being written stays one cheap row. */
const DRAFT_ARGS_CHARS = 2000

/** A blinking caret after text the model is still writing. */
function WritingCursor(): React.JSX.Element {
  return (
    <span className="tl-writing" role="status" aria-label="writing…">
      <span className="tl-caret" aria-hidden="true" />
    </span>
  )
}

/** A tool call the model is still writing: its name, and its arguments as they arrive (raw JSON so far). */
function ToolDraftRow({ item }: { item: Extract<TimelineItem, { kind: 'tool_draft' }> }): React.JSX.Element {
  return (
    <div className="tl-tool is-draft">
      <div className="tl-tool-head">
        <span className="tool-icon" aria-hidden="true">
          ⚙
        </span>
        <span className="tool-name">{item.name || 'tool call'}</span>
        <span className="tool-state running muted">writing…</span>
      </div>
      {item.argsText && (
        <pre className="tool-json tl-draft-args">
          {item.argsText.length > DRAFT_ARGS_CHARS
            ? `…${item.argsText.slice(-DRAFT_ARGS_CHARS)}`
            : item.argsText}
          <WritingCursor />
        </pre>
      )}
    </div>
  )
}

/** "Context compacted: 118k → 21k tokens", and the handoff summary the model wrote, to expand. */
function CompactionRow(props: {
  item: Extract<TimelineItem, { kind: 'compaction' }>
  ex: Expansion
}): React.JSX.Element {
  const { item, ex } = props
  return (
    <div className="tl-log tl-compaction">
      <div className="tl-label">
        Context compacted: {formatTokens(item.beforeTokens)} → {formatTokens(item.afterTokens)} tokens
        <span className="muted">
          {' '}
          —{' '}
          {item.summary
            ? 'the model’s handoff summary replaced the earlier steps'
            : 'old tool outputs shortened'}
        </span>
      </div>
      {item.summary && (
        <OutputBlock
          text={item.summary}
          expanded={ex.isExpanded(item.key)}
          onToggle={() => ex.toggle(item.key)}
          label="summary"
        />
      )}
    </div>
  )
}
