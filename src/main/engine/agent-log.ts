import type { TaskEvent } from '../../shared/events'
import { describeBlock } from '../../shared/network'
import type { TaskOutcome } from '../../shared/task'

const MAX_OUTPUT_IN_LOG = 4000

/**
 * One event as lines of agent.log, the human-readable transcript of a task. Tool output and model text are
 * kept as they were, control characters included: agent.log is a file the UI shows as text (inert). Whoever
 * prints these lines to a terminal escapes them first (the CLI: cli/terminal-text.ts).
 */
export function formatLogLine(event: TaskEvent): string {
  const time = event.at.slice(11, 19)
  switch (event.type) {
    case 'status':
      return `${time} status → ${event.status}${event.message ? `: ${event.message}` : ''}\n`
    case 'progress':
      return `${time} ${event.phase}: ${event.message}\n`
    case 'log':
      // Setup output lives in setup.log (the CLI prints it as it streams); the engine's own notes live here.
      return event.stream === 'system' ? `${time} ${event.text.replace(/\n?$/, '\n')}` : ''
    case 'model_text':
      return `${time} [step ${event.step}] model: ${event.text}\n`
    case 'tool_call':
      return `${time} [step ${event.step}] ${event.name} ${JSON.stringify(event.args)}\n`
    case 'tool_result': {
      const output =
        event.output.length > MAX_OUTPUT_IN_LOG
          ? `${event.output.slice(0, MAX_OUTPUT_IN_LOG)}…`
          : event.output
      return `${time} [step ${event.step}] ${event.name} ${event.ok ? 'ok' : 'failed'} in ${event.durationMs} ms\n${indent(output)}`
    }
    case 'usage':
      return `${time} [step ${event.step}] tokens ${event.promptTokens} in / ${event.completionTokens} out, ${event.costKnown === false ? 'cost unknown' : `$${event.costUsd.toFixed(4)}`}\n`
    case 'retry':
      return `${time} [step ${event.step}] retry ${event.attempt} in ${event.delayMs} ms: ${event.reason}\n`
    case 'compaction':
      return formatCompaction(time, event)
    // The transcript keeps complete steps only: a streamed reply is logged whole by its model_text/tool_call.
    case 'model_text_delta':
    case 'tool_call_delta':
    case 'model_stream_reset':
      return ''
    case 'diff':
      return `${time} diff${event.turn !== undefined ? ` after turn ${event.turn}` : ''}: ${event.diff.files} files, +${event.diff.additions} −${event.diff.deletions}\n`
    case 'outcome':
      return `${time} outcome: ${describeOutcome(event.outcome)}\n`
    case 'network_blocked': {
      // The proxy may report repeats as one event with their count.
      const count = (event as { count?: unknown }).count
      const times = typeof count === 'number' && count > 1 ? `, ${count} times` : ''
      const method = event.method ? ` (${event.method}${times})` : times ? ` (${times.slice(2)})` : ''
      return `${time} [${event.phase}] ${describeBlock(event)}${method}\n`
    }
    case 'error':
      return `${time} error (${event.error.kind}): ${event.error.message}${event.error.hint ? ` — ${event.error.hint}` : ''}\n`
  }
}

/** "Context compacted: 118k → 21k tokens", and the handoff summary under it, whole (it is the history now). */
function formatCompaction(time: string, event: Extract<TaskEvent, { type: 'compaction' }>): string {
  const how = event.summary ? 'summarized' : 'old tool outputs shortened'
  const cost = event.promptTokens
    ? `; summary call ${event.promptTokens} in / ${event.completionTokens ?? 0} out, $${(event.costUsd ?? 0).toFixed(4)}`
    : ''
  const head = `${time} [step ${event.step}] context compacted: ${kTokens(event.beforeTokens)} → ${kTokens(event.afterTokens)} tokens (${how}${cost})\n`
  return event.summary ? `${head}${indent(event.summary)}` : head
}

const kTokens = (n: number): string => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(n))

function indent(text: string): string {
  if (!text) return ''
  return text.replace(/\n?$/, '\n').replace(/^/gm, '    ')
}

function describeOutcome(outcome: TaskOutcome): string {
  switch (outcome.kind) {
    case 'pull_request':
      return `pull request #${outcome.number} on ${outcome.repo} from ${outcome.branch}: ${outcome.url}`
    case 'pushed':
      return `pushed ${outcome.branch} (${outcome.commit.slice(0, 12)}) to ${outcome.remote}`
    case 'applied':
      return outcome.mode === 'branch'
        ? `committed ${outcome.files.length} files on branch ${outcome.branch} in ${outcome.folder}`
        : `wrote ${outcome.files.length} files into ${outcome.folder}`
    case 'exported':
      return `exported ${outcome.artifact} (${outcome.bytes} bytes)`
  }
}
