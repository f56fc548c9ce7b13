import type { AppErrorData } from '../../../../shared/errors'
import type { DiffSummary } from '../../../../shared/diff'
import type { ProgressPhase, TaskEvent } from '../../../../shared/events'
import type { NetworkBlock } from '../../../../shared/network'
import { isSettled, type TaskStatus } from '../../../../shared/task'

export interface ToolResult {
  ok: boolean
  output: string
  durationMs: number
}

/** One row of the timeline: events folded for reading (a call and its result together, log chunks grouped). */
export type TimelineItem =
  /** `streaming`: the model is still writing it (its deltas so far); the step's model_text replaces it. */
  | { kind: 'message'; key: string; at: string; step: number; text: string; streaming?: boolean }
  /** A tool call the model is still writing: its name and its arguments' text so far. */
  | {
      kind: 'tool_draft'
      key: string
      at: string
      step: number
      index: number
      callId?: string
      name: string
      argsText: string
    }
  | {
      kind: 'tool'
      key: string
      at: string
      step: number
      name: string
      args: unknown
      result?: ToolResult
      /** The turn ended (a crash, a cancel, a failure) before the call's result came: it runs no more. */
      cutOff?: boolean
    }
  | {
      kind: 'usage'
      key: string
      at: string
      step: number
      promptTokens: number
      completionTokens: number
      costUsd: number
      /** The model has no price: the step's cost is unknown. */
      costUnknown?: boolean
      /** The first such step: the row says once that the budget is enforced in tokens only. */
      costNote?: boolean
    }
  | { kind: 'retry'; key: string; at: string; step: number; attempt: number; delayMs: number; reason: string }
  /** The history was compacted before a step: estimated tokens before and after; the handoff summary ('' if none). */
  | {
      kind: 'compaction'
      key: string
      at: string
      step: number
      beforeTokens: number
      afterTokens: number
      summary: string
    }
  | { kind: 'status'; key: string; at: string; status: TaskStatus; message?: string }
  | { kind: 'phase'; key: string; at: string; phase: ProgressPhase; message: string }
  | { kind: 'log'; key: string; at: string; stream: 'setup' | 'system'; text: string; lines: number }
  /** The whole task's change after a turn; `turn`: which turn ended (links to its own change). */
  | { kind: 'diff'; key: string; at: string; diff: DiffSummary; turn?: number }
  | { kind: 'error'; key: string; at: string; error: AppErrorData }
  | BlockedItem

/** A request the policy proxy refused; repeats of it (same phase, host, port and rule) count here. */
export type BlockedItem = { kind: 'blocked'; key: string; at: string } & NetworkBlock & {
    /** How many times it was refused. */
    count: number
    /** When it was last refused. */
    lastAt: string
  }

export interface Progress {
  phase: ProgressPhase
  message: string
  ratio?: number
}

/** A log group holds at most this many lines; then a new group starts (rows stay cheap to render). */
export const LOG_GROUP_LINES = 400
const LOG_GROUP_CHARS = 64 * 1024

const countLines = (text: string): number => {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

/**
 * Folds a task's events into timeline rows, incrementally: `push` takes only the events it has not seen,
 * so a stream of 20,000 events costs one pass, not one pass per event.
 */
export class TimelineBuilder {
  items: TimelineItem[] = []
  /** Events folded so far (the length of the prefix of the event list already seen). */
  seen = 0
  private firstSeq: number | undefined
  private readonly toolIndex = new Map<string, number>()
  /** The row of each blocked request since the last status change, to count repeats there. */
  private readonly blockIndex = new Map<string, number>()
  private lastPhase: ProgressPhase | undefined
  /** A step without a price was shown with its note (said once a timeline). */
  private costNoted = false
  /** The latest progress report of the current turn (import, clone, image, container, setup). */
  progress: Progress | undefined
  /** The step whose reply is streaming, its text row and its tool-call drafts (by the call's index). */
  private stream: { step: number; text?: number; drafts: Map<number, number> } | undefined

  /** True when `events` continues what was folded (same first event, at least as long). */
  continues(events: readonly TaskEvent[]): boolean {
    if (this.seen === 0) return true
    return events.length >= this.seen && events[0]?.seq === this.firstSeq
  }

  push(events: readonly TaskEvent[]): void {
    if (this.seen === 0 && events.length) this.firstSeq = events[0]!.seq
    for (let i = this.seen; i < events.length; i++) this.add(events[i]!)
    this.seen = events.length
  }

  private add(e: TaskEvent): void {
    const key = `e${e.seq}`
    // A later step, or a new status: what an earlier stream left unfinished (never sent whole) goes.
    if (this.stream && (e.type === 'status' || ('step' in e && e.step > this.stream.step))) this.settle()
    switch (e.type) {
      case 'model_text_delta':
        this.addTextDelta(key, e)
        return
      case 'tool_call_delta':
        this.addCallDelta(key, e)
        return
      case 'model_stream_reset':
        if (this.stream?.step === e.step) this.settle()
        return
      case 'model_text':
        this.addMessage(key, e)
        return
      case 'tool_call': {
        const draft = this.takeDraft(e.step, e.callId)
        const row = { kind: 'tool' as const, key, at: e.at, step: e.step, name: e.name, args: e.args }
        const index = draft ?? this.items.length
        this.toolIndex.set(e.callId, index)
        if (draft === undefined) this.items.push(row)
        else this.items[draft] = { ...row, key: this.items[draft]!.key }
        return
      }
      case 'tool_result': {
        const result = { ok: e.ok, output: e.output, durationMs: e.durationMs }
        const index = this.toolIndex.get(e.callId)
        const call = index === undefined ? undefined : this.items[index]
        if (call?.kind === 'tool') this.items[index!] = { ...call, result }
        else this.items.push({ kind: 'tool', key, at: e.at, step: e.step, name: e.name, args: {}, result })
        return
      }
      case 'usage': {
        const { promptTokens, completionTokens, costUsd } = e
        const unknown = e.costKnown === false
        this.items.push({
          kind: 'usage',
          key,
          at: e.at,
          step: e.step,
          promptTokens,
          completionTokens,
          costUsd,
          ...(unknown ? { costUnknown: true, costNote: !this.costNoted } : {}),
        })
        this.costNoted ||= unknown
        return
      }
      case 'retry': {
        const { attempt, delayMs, reason } = e
        this.items.push({ kind: 'retry', key, at: e.at, step: e.step, attempt, delayMs, reason })
        return
      }
      case 'compaction': {
        const { step, beforeTokens, afterTokens, summary } = e
        this.items.push({ kind: 'compaction', key, at: e.at, step, beforeTokens, afterTokens, summary })
        return
      }
      case 'status':
        this.lastPhase = undefined
        this.blockIndex.clear()
        if (e.status === 'queued') this.progress = undefined
        if (isSettled(e.status)) this.cutOpenCalls()
        this.items.push({ kind: 'status', key, at: e.at, status: e.status, message: e.message })
        return
      case 'progress':
        this.progress = { phase: e.phase, message: e.message, ratio: e.ratio }
        // The bar shows the ratio; the timeline only notes each phase as it begins.
        if (e.phase !== this.lastPhase) {
          this.lastPhase = e.phase
          this.items.push({ kind: 'phase', key, at: e.at, phase: e.phase, message: e.message })
        }
        return
      case 'log':
        this.addLog(key, e.at, e.stream, e.text)
        return
      case 'diff':
        this.items.push({
          kind: 'diff',
          key,
          at: e.at,
          diff: e.diff,
          ...(e.turn === undefined ? {} : { turn: e.turn }),
        })
        return
      case 'error':
        this.items.push({ kind: 'error', key, at: e.at, error: e.error })
        return
      case 'network_blocked':
        this.addBlock(key, e)
    }
  }

  private streamOf(step: number): NonNullable<TimelineBuilder['stream']> {
    if (this.stream?.step !== step) this.stream = { step, drafts: new Map() }
    return this.stream
  }

  private addTextDelta(key: string, e: Extract<TaskEvent, { type: 'model_text_delta' }>): void {
    const stream = this.streamOf(e.step)
    const row = stream.text === undefined ? undefined : this.items[stream.text]
    if (row?.kind === 'message') {
      this.items[stream.text!] = { ...row, text: row.text + e.text }
      return
    }
    stream.text = this.items.length
    this.items.push({ kind: 'message', key, at: e.at, step: e.step, text: e.text, streaming: true })
  }

  /** Tool calls the turn's end left without a result: they run no more. */
  private cutOpenCalls(): void {
    for (const index of this.toolIndex.values()) {
      const call = this.items[index]
      if (call?.kind === 'tool' && !call.result && !call.cutOff) this.items[index] = { ...call, cutOff: true }
    }
  }

  private addCallDelta(key: string, e: Extract<TaskEvent, { type: 'tool_call_delta' }>): void {
    const stream = this.streamOf(e.step)
    const index = stream.drafts.get(e.index)
    const row = index === undefined ? undefined : this.items[index]
    if (row?.kind === 'tool_draft') {
      const { callId = row.callId, name = row.name } = e
      this.items[index!] = { ...row, callId, name, argsText: row.argsText + e.argsDelta }
      return
    }
    stream.drafts.set(e.index, this.items.length)
    const { step, callId, name = '', argsDelta } = e
    this.items.push({
      kind: 'tool_draft',
      key,
      at: e.at,
      step,
      index: e.index,
      callId,
      name,
      argsText: argsDelta,
    })
  }

  /** The step's complete text: it replaces the streamed row in place (same key), or is a new row. */
  private addMessage(key: string, e: Extract<TaskEvent, { type: 'model_text' }>): void {
    const at = this.stream?.step === e.step ? this.stream.text : undefined
    if (at !== undefined) this.stream!.text = undefined
    if (!e.text.trim()) return
    const row = { kind: 'message' as const, key, at: e.at, step: e.step, text: e.text }
    if (at === undefined) this.items.push(row)
    else this.items[at] = { ...row, key: this.items[at]!.key }
  }

  /** The row of the step's draft of this call, taken out of the drafts (the complete call replaces it). */
  private takeDraft(step: number, callId: string): number | undefined {
    if (this.stream?.step !== step) return undefined
    for (const [i, row] of this.stream.drafts) {
      const item = this.items[row]
      if (item?.kind !== 'tool_draft' || item.callId !== callId) continue
      this.stream.drafts.delete(i)
      return row
    }
    return undefined
  }

  /** Drops the stream's rows that were not replaced by complete ones (a reset, or never sent whole). */
  private settle(): void {
    const stream = this.stream
    this.stream = undefined
    if (!stream) return
    const gone = new Set(stream.drafts.values())
    if (stream.text !== undefined) gone.add(stream.text)
    if (gone.size) this.removeRows(gone)
  }

  private removeRows(gone: ReadonlySet<number>): void {
    const moved = new Map<number, number>()
    const kept: TimelineItem[] = []
    this.items.forEach((item, i) => {
      if (gone.has(i)) return
      moved.set(i, kept.length)
      kept.push(item)
    })
    this.items = kept
    for (const map of [this.toolIndex, this.blockIndex])
      for (const [id, i] of map) {
        const to = moved.get(i)
        if (to === undefined) map.delete(id)
        else map.set(id, to)
      }
  }

  private addBlock(key: string, e: Extract<TaskEvent, { type: 'network_blocked' }>): void {
    const id = `${e.phase} ${e.host.toLowerCase()}:${e.port} ${e.rule}`
    // The proxy may report repeats as one event with their count.
    const times = (e as { count?: unknown }).count
    const count = typeof times === 'number' && times >= 1 ? times : 1
    const index = this.blockIndex.get(id)
    const row = index === undefined ? undefined : this.items[index]
    if (row?.kind === 'blocked') {
      this.items[index!] = { ...row, count: row.count + count, lastAt: e.at, method: e.method ?? row.method }
      return
    }
    this.blockIndex.set(id, this.items.length)
    const { phase, host, port, method, rule } = e
    this.items.push({
      kind: 'blocked',
      key,
      at: e.at,
      phase,
      host,
      port,
      method,
      rule,
      count,
      lastAt: e.at,
    })
  }

  private addLog(key: string, at: string, stream: 'setup' | 'system', text: string): void {
    const last = this.items[this.items.length - 1]
    if (
      last?.kind === 'log' &&
      last.stream === stream &&
      last.lines < LOG_GROUP_LINES &&
      last.text.length < LOG_GROUP_CHARS
    ) {
      const joined = last.text + text
      this.items[this.items.length - 1] = { ...last, text: joined, lines: countLines(joined) }
      return
    }
    this.items.push({ kind: 'log', key, at, stream, text, lines: countLines(text) })
  }
}
