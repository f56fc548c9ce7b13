import type { TaskEventBody } from '../../../shared/events'

/**
 * Codex CLI's `codex exec --json` events (one JSON object a line: thread.started, turn.started,
 * item.started|updated|completed, turn.completed, turn.failed, error) as our timeline's events — the same
 * the built-in loop emits, so the timeline looks the same: an agent message is `model_text`, a command or
 * a file change is a `tool_call` then its `tool_result`. Unknown item types become a generic tool call
 * named after the type, with the item as its arguments; unknown event types and lines that are not JSON
 * become a system log line. Nothing is dropped. Usage is not taken from here: the model proxy reports
 * each answer's usage as it passes (turn.completed's totals are only kept for the summary).
 */

/** Codex's thread ids (UUIDs). */
const THREAD_ID = /^[0-9A-Za-z-]{1,64}$/

type Json = Record<string, unknown>

interface Item extends Json {
  id: string
  type: string
}

export interface CodexTurnState {
  threadId?: string
  /** The last agent_message of the turn: its summary. */
  lastMessage?: string
  /** turn.failed's (or a fatal error event's) message. */
  failure?: string
  completed: boolean
  usage?: { inputTokens: number; outputTokens: number; cachedInputTokens: number }
}

const WORKSPACE_PREFIX = '/workspace/'
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v))
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const shownPath = (path: string): string =>
  path.startsWith(WORKSPACE_PREFIX) ? path.slice(WORKSPACE_PREFIX.length) : path

/** What a command_execution was asked to run: Codex wraps it in `/bin/bash -lc "…"` (or '…'). */
export function shownCommand(command: string): string {
  const single = /^\/bin\/(?:ba)?sh -l?c '([\s\S]*)'$/.exec(command)
  if (single) return single[1]!.replace(/'\\''/g, "'")
  const m = /^\/bin\/(?:ba)?sh -l?c "([\s\S]*)"$/.exec(command)
  if (!m) return command
  return m[1]!.replace(/\\(["\\$`])/g, '$1')
}

function todoText(item: Json): string {
  const items = Array.isArray(item.items) ? item.items : []
  return items
    .map((entry) =>
      isObject(entry) ? `[${entry.completed === true ? 'x' : ' '}] ${str(entry.text)}` : str(entry),
    )
    .join('\n')
}

const changesOf = (item: Json): Array<{ path: string; kind: string }> =>
  (Array.isArray(item.changes) ? item.changes : [])
    .filter(isObject)
    .map((c) => ({ path: shownPath(str(c.path)), kind: str(c.kind) }))

/** The rest of an item (its id and type left out): a generic tool call's arguments. */
function restOf(item: Item): Json {
  const { id: _id, type: _type, ...rest } = item
  void _id
  void _type
  return rest
}

export class CodexEventMapper {
  readonly state: CodexTurnState = { completed: false }
  private readonly started = new Map<string, number>()

  /** `step()`: the step the timeline is at (the model requests so far, plus one). */
  constructor(
    private readonly step: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The events of one line of Codex's stdout (without its newline). */
  line(text: string): TaskEventBody[] {
    if (!text.trim()) return []
    let event: unknown
    try {
      event = JSON.parse(text)
    } catch {
      return [this.log(`Codex: ${text}`)]
    }
    if (!isObject(event) || typeof event.type !== 'string') return [this.log(`Codex: ${text}`)]
    switch (event.type) {
      case 'thread.started': {
        // Codex's stdout is the sandbox's to shape: only an id-shaped value is kept (it becomes an artifact
        // and, on a follow-up, an argument of `codex exec resume`).
        const id = str(event.thread_id)
        if (!THREAD_ID.test(id))
          return [this.log('Codex started a thread without a usable id; a follow-up starts anew')]
        this.state.threadId = id
        return [this.log(`Codex thread ${id}`)]
      }
      case 'turn.started':
        return []
      case 'turn.completed': {
        const u = isObject(event.usage) ? event.usage : {}
        this.state.completed = true
        this.state.usage = {
          inputTokens: num(u.input_tokens),
          outputTokens: num(u.output_tokens),
          cachedInputTokens: num(u.cached_input_tokens),
        }
        return []
      }
      case 'turn.failed': {
        const error = isObject(event.error) ? event.error : {}
        this.state.failure = str(error.message) || 'Codex reported a failed turn.'
        return [this.log(`Codex: the turn failed: ${this.state.failure}`)]
      }
      case 'error':
        return [this.log(`Codex: ${str(event.message)}`)]
      case 'item.started':
      case 'item.updated':
      case 'item.completed': {
        const item = event.item
        if (!isObject(item) || typeof item.id !== 'string' || typeof item.type !== 'string') {
          return [this.log(`Codex: ${text}`)]
        }
        return this.item(event.type.slice('item.'.length), item as Item)
      }
      default:
        return [this.log(`Codex (${event.type}): ${text}`)]
    }
  }

  private item(phase: string, item: Item): TaskEventBody[] {
    switch (item.type) {
      case 'agent_message':
        if (phase !== 'completed') return []
        this.state.lastMessage = str(item.text)
        return [{ type: 'model_text', step: this.step(), text: str(item.text) }]
      case 'reasoning':
        if (phase !== 'completed') return []
        return [{ type: 'model_text', step: this.step(), text: `(reasoning) ${str(item.text)}` }]
      case 'error':
        return phase === 'completed' ? [this.log(`Codex: ${str(item.message)}`)] : []
      case 'command_execution':
        return this.tool(phase, item, 'shell', { command: shownCommand(str(item.command)) }, () => ({
          ok: item.exit_code === 0,
          output: `${str(item.aggregated_output)}${item.exit_code === 0 ? '' : `\n[exit code ${str(item.exit_code)}]`}`,
        }))
      case 'file_change':
        return this.tool(phase, item, 'apply_patch', { changes: changesOf(item) }, () => ({
          ok: item.status === 'completed',
          output: changesOf(item)
            .map((c) => `${c.kind} ${c.path}`)
            .join('\n'),
        }))
      case 'todo_list':
        if (phase === 'updated') return [this.log(`Plan:\n${todoText(item)}`)]
        return this.tool(phase, item, 'todo_list', { items: item.items }, () => ({
          ok: true,
          output: todoText(item),
        }))
      default:
        return this.tool(phase, item, item.type, restOf(item), () => ({
          ok: item.status !== 'failed' && item.error === undefined,
          output: JSON.stringify(restOf(item)),
        }))
    }
  }

  /** A started item is a tool call; its completion the result (a call first if it was never started). */
  private tool(
    phase: string,
    item: Item,
    name: string,
    args: unknown,
    result: () => { ok: boolean; output: string },
  ): TaskEventBody[] {
    const step = this.step()
    const call: TaskEventBody = { type: 'tool_call', step, callId: item.id, name, args }
    if (phase === 'started') {
      this.started.set(item.id, this.now())
      return [call]
    }
    if (phase === 'updated') return []
    const startedAt = this.started.get(item.id)
    this.started.delete(item.id)
    const out: TaskEventBody[] = startedAt === undefined ? [call] : []
    const durationMs = startedAt === undefined ? 0 : this.now() - startedAt
    out.push({ type: 'tool_result', step, callId: item.id, name, ...result(), durationMs })
    return out
  }

  private log(text: string): TaskEventBody {
    return { type: 'log', stream: 'system', text: `${text}\n` }
  }
}
