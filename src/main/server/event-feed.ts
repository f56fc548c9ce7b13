import { randomBytes } from 'node:crypto'
import type { AppEvent } from '../../shared/events'
import { subscribeAppEvents } from '../engine/app-events'
import type { TaskEngine } from '../engine/task-engine'

/** What one event stream is handed for each event: its SSE id and its JSON text. */
export type FeedSink = (id: string, data: string) => void

interface KeptEvent {
  n: number
  data: string
}

/** How much of the newest events a feed keeps for streams that reconnect (their JSON text). */
const DEFAULT_KEEP_BYTES = 4 * 1024 ** 2
/** The reconnect delay the server asks browsers for (the stream's `retry:` line). */
export const STREAM_RETRY_MS = 2000
/** How long a feed keeps listening after its last stream went: a browser's automatic reconnect, and then some. */
const LINGER_MS = STREAM_RETRY_MS + 1000

/**
 * The app events of one server process, numbered in the order they happened, for every event stream at
 * once: each event is serialized once, gets the id `<epoch>.<n>` (the epoch names this process, so an id
 * from a server that has since restarted is recognised as foreign), and the newest (up to `keepBytes`)
 * are kept so a stream that reconnects with `Last-Event-ID` gets what it missed. It listens to the engine
 * while a stream is open and for LINGER_MS after the last one went (then it forgets what it kept). What it
 * did not keep, or a foreign id, is not replayed: the client catches up by itself (tasks.events after its
 * last seq, tasks.list), which it does after every reconnect anyway.
 */
export class EventFeed {
  private readonly epoch = randomBytes(4).toString('hex')
  private next = 1
  private readonly kept: KeptEvent[] = []
  private keptBytes = 0
  private readonly sinks = new Set<FeedSink>()
  private stop: (() => void) | undefined
  private linger: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly engine: TaskEngine,
    private readonly keepBytes = DEFAULT_KEEP_BYTES,
  ) {}

  /**
   * Hands `sink` the kept events after `lastEventId` (none when it is absent, foreign or unknown), then
   * every new one; returns the unsubscribe function. Replay and subscription happen in one go, so no event
   * falls between them.
   */
  subscribe(sink: FeedSink, lastEventId?: string): () => void {
    clearTimeout(this.linger)
    this.stop ??= subscribeAppEvents(this.engine, (event) => this.append(event))
    for (const event of this.after(lastEventId)) sink(this.idOf(event.n), event.data)
    this.sinks.add(sink)
    return () => {
      this.sinks.delete(sink)
      if (!this.sinks.size) this.linger = setTimeout(() => this.close(), LINGER_MS).unref()
    }
  }

  /** Stops listening to the engine and forgets the kept events (a new stream starts listening again). */
  close(): void {
    clearTimeout(this.linger)
    this.stop?.()
    this.stop = undefined
    this.sinks.clear()
    this.kept.length = 0
    this.keptBytes = 0
  }

  private append(event: AppEvent): void {
    const kept = { n: this.next++, data: JSON.stringify(event) }
    this.kept.push(kept)
    this.keptBytes += kept.data.length
    while (this.keptBytes > this.keepBytes && this.kept.length > 1) {
      this.keptBytes -= this.kept.shift()!.data.length
    }
    const id = this.idOf(kept.n)
    for (const sink of [...this.sinks]) sink(id, kept.data)
  }

  private after(lastEventId: string | undefined): KeptEvent[] {
    const n = this.numberOf(lastEventId)
    if (n === undefined) return []
    const first = this.kept.findIndex((event) => event.n > n)
    return first === -1 ? [] : this.kept.slice(first)
  }

  private numberOf(id: string | undefined): number | undefined {
    const match = /^([0-9a-f]+)\.(\d+)$/.exec(id ?? '')
    if (!match || match[1] !== this.epoch) return undefined
    const n = Number(match[2])
    return Number.isSafeInteger(n) && n < this.next ? n : undefined
  }

  private idOf(n: number): string {
    return `${this.epoch}.${n}`
  }
}
