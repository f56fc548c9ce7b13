import type { AgentEvent } from '../../shared/events'
import type { StreamSink } from './chat-stream'

/** A step's deltas go out at most this often (events.jsonl keeps every event: one per chunk would bloat it). */
export const DELTA_INTERVAL_MS = 50

interface PendingCall {
  callId?: string
  name?: string
  argsDelta: string
}

/**
 * Turns a step's streamed pieces into delta events, coalesced: the first piece goes out at once, later ones
 * at most once per `intervalMs`. A tool call's name goes out as soon as it is known. `flush` sends what is
 * pending (before the step's complete events); `reset` drops it and says the step's deltas are void.
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
    if (part.name) this.flush()
    else this.schedule()
  }

  reset(reason: string): void {
    this.stopTimer()
    this.pendingText = ''
    this.calls.clear()
    this.emit({ type: 'model_stream_reset', step: this.step, reason })
  }

  flush(): void {
    this.stopTimer()
    this.lastFlush = Date.now()
    const { step } = this
    if (this.pendingText) this.emit({ type: 'model_text_delta', step, text: this.clean(this.pendingText) })
    for (const [index, call] of this.calls) {
      const argsDelta = this.clean(call.argsDelta)
      this.emit({ type: 'tool_call_delta', step, index, ...call, argsDelta })
    }
    this.pendingText = ''
    this.calls.clear()
  }

  private schedule(): void {
    if (this.timer) return
    const wait = this.lastFlush + this.intervalMs - Date.now()
    if (wait <= 0) this.flush()
    else this.timer = setTimeout(() => this.flush(), wait)
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}
