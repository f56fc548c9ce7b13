import type { AgentEvent } from '../../shared/events'
import type { StreamSink } from './stream-guard'

/** A step's deltas go out at most this often (events.jsonl keeps every event: one per chunk would bloat it). */
export const DELTA_INTERVAL_MS = 50

interface PendingCall {
  callId?: string
  name?: string
  argsDelta: string
}

/**
 * How many characters at the end of `text` could be the start of a secret (a proper prefix of one): held
 * back until the next piece says whether the secret goes on, so a secret split across two pieces is
 * redacted as a whole.
 */
export function secretTail(text: string, secrets: ReadonlyArray<string | null | undefined>): number {
  let held = 0
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue
    for (let n = Math.min(secret.length - 1, text.length); n > held; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        held = n
        break
      }
    }
  }
  return held
}

/**
 * Turns a step's streamed pieces into delta events, coalesced: the first piece goes out at once, later ones
 * at most once per `intervalMs`. A tool call's name goes out as soon as it is known. `flush` sends what is
 * pending (before the step's complete events); `reset` drops it and says the step's deltas are void. Until
 * the final flush, a tail that could be the start of one of `secrets` stays pending (secretTail).
 */
export class StepDeltas implements StreamSink {
  private pendingText = ''
  private readonly calls = new Map<number, PendingCall>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private lastFlush = 0

  constructor(
    private readonly step: number,
    private readonly emit: (e: AgentEvent) => void,
    private readonly clean: (text: string) => string,
    private readonly intervalMs = DELTA_INTERVAL_MS,
    private readonly secrets: ReadonlyArray<string | null | undefined> = [],
  ) {}

  text(piece: string): void {
    this.pendingText += piece
    this.schedule()
  }

  toolCall(index: number, part: { callId?: string; name?: string; argsDelta: string }): void {
    const call = this.calls.get(index) ?? { argsDelta: '' }
    if (part.callId) call.callId = part.callId
    if (part.name) call.name = part.name
    call.argsDelta += part.argsDelta
    this.calls.set(index, call)
    if (part.name) this.send(false)
    else this.schedule()
  }

  reset(reason: string): void {
    this.stopTimer()
    this.pendingText = ''
    this.calls.clear()
    this.emit({ type: 'model_stream_reset', step: this.step, reason })
  }

  /** Sends every pending piece: the step's reply is whole. */
  flush(): void {
    this.send(true)
  }

  private send(final: boolean): void {
    this.stopTimer()
    this.lastFlush = Date.now()
    const { step } = this
    const text = this.take(this.pendingText, final)
    this.pendingText = text.held
    if (text.out) this.emit({ type: 'model_text_delta', step, text: this.clean(text.out) })
    for (const [index, call] of this.calls) {
      const args = this.take(call.argsDelta, final)
      if (args.out || call.name || call.callId)
        this.emit({ type: 'tool_call_delta', step, index, ...call, argsDelta: this.clean(args.out) })
      if (args.held) this.calls.set(index, { argsDelta: args.held })
      else this.calls.delete(index)
    }
  }

  /** What of `pending` goes out now, and what stays (a possible secret's start, unless `final`). */
  private take(pending: string, final: boolean): { out: string; held: string } {
    const keep = final ? 0 : secretTail(pending, this.secrets)
    return { out: pending.slice(0, pending.length - keep), held: pending.slice(pending.length - keep) }
  }

  private schedule(): void {
    if (this.timer) return
    const wait = this.lastFlush + this.intervalMs - Date.now()
    if (wait <= 0) this.send(false)
    else this.timer = setTimeout(() => this.send(false), wait)
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}
