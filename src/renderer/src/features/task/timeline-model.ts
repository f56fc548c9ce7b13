import type { AppErrorData } from '../../../../shared/errors'
import type { DiffSummary } from '../../../../shared/diff'
import type { ProgressPhase, TaskEvent } from '../../../../shared/events'
import type { TaskStatus } from '../../../../shared/task'

export interface ToolResult {
  ok: boolean
  output: string
  durationMs: number
}

/** One row of the timeline: events folded for reading (a call and its result together, log chunks grouped). */
export type TimelineItem =
  | { kind: 'message'; key: string; at: string; step: number; text: string }
  | { kind: 'tool'; key: string; at: string; step: number; name: string; args: unknown; result?: ToolResult }
  | {
      kind: 'usage'
      key: string
      at: string
      step: number
      promptTokens: number
      completionTokens: number
      costUsd: number
    }
  | { kind: 'retry'; key: string; at: string; step: number; attempt: number; delayMs: number; reason: string }
  | { kind: 'status'; key: string; at: string; status: TaskStatus; message?: string }
  | { kind: 'phase'; key: string; at: string; phase: ProgressPhase; message: string }
  | { kind: 'log'; key: string; at: string; stream: 'setup' | 'system'; text: string; lines: number }
  | { kind: 'diff'; key: string; at: string; diff: DiffSummary }
  | { kind: 'error'; key: string; at: string; error: AppErrorData }

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
  private lastPhase: ProgressPhase | undefined
  /** The latest progress report of the current turn (import, clone, image, container, setup). */
  progress: Progress | undefined

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
    switch (e.type) {
      case 'model_text':
        if (e.text.trim()) this.items.push({ kind: 'message', key, at: e.at, step: e.step, text: e.text })
        return
      case 'tool_call':
        this.toolIndex.set(e.callId, this.items.length)
        this.items.push({ kind: 'tool', key, at: e.at, step: e.step, name: e.name, args: e.args })
        return
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
        this.items.push({
          kind: 'usage',
          key,
          at: e.at,
          step: e.step,
          promptTokens,
          completionTokens,
          costUsd,
        })
        return
      }
      case 'retry': {
        const { attempt, delayMs, reason } = e
        this.items.push({ kind: 'retry', key, at: e.at, step: e.step, attempt, delayMs, reason })
        return
      }
      case 'status':
        this.lastPhase = undefined
        if (e.status === 'queued') this.progress = undefined
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
        this.items.push({ kind: 'diff', key, at: e.at, diff: e.diff })
        return
      case 'error':
        this.items.push({ kind: 'error', key, at: e.at, error: e.error })
    }
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
