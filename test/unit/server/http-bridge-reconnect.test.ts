import { afterEach, describe, expect, it, vi } from 'vitest'
import type { AppEvent, TaskEvent } from '../../../src/shared/events'
import type { TaskRecord } from '../../../src/shared/task'
import { createHttpBridge, type EventSourceLike } from '../../../src/renderer/src/lib/http-bridge'

/** A stream the test opens, feeds and breaks by hand. */
class FakeSource implements EventSourceLike {
  readyState = 0
  onmessage: ((event: { data: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  onopen: ((event: unknown) => void) | null = null
  closed = false
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true
    this.readyState = 2
  }
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }
  emit(event: AppEvent): void {
    this.onmessage?.({ data: JSON.stringify(event) })
  }
  /** The server refused or the browser gave up: CLOSED. With `retrying`, the browser retries by itself. */
  fail(retrying = false): void {
    this.readyState = retrying ? 0 : 2
    this.onerror?.(new Error('stream'))
  }
}

const taskEvent = (seq: number): TaskEvent => ({
  type: 'log',
  stream: 'system',
  text: `line ${seq}`,
  taskId: 't1',
  seq,
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
})
const record = (updatedAt: string, status: TaskRecord['status']): TaskRecord =>
  ({ id: 't1', status, updatedAt, createdAt: '2026-01-01T00:00:00.000Z' }) as TaskRecord

/** The server's side: the task's whole event log and its record; calls answer from them. */
function serverState() {
  return { events: [] as TaskEvent[], task: record('2026-01-01T00:00:00.000Z', 'running') }
}

function setup(opts: { reconnectMs?: number; reconnectMaxMs?: number } = {}) {
  const state = serverState()
  const calls: Array<{ name: string; input: Record<string, unknown> }> = []
  /** While set, calls wait for it (a catch-up that is slow to answer). */
  let gate: Promise<void> | undefined
  const fetchFake = (async (input: string | URL | Request, init?: RequestInit) => {
    const name = String(input).split('/').at(-1)!
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>
    calls.push({ name, input: body })
    await gate
    const afterSeq = typeof body.afterSeq === 'number' ? body.afterSeq : -1
    const value = name === 'tasks.list' ? [state.task] : state.events.filter((e) => e.seq > afterSeq)
    return new Response(JSON.stringify({ ok: true, value }), { status: 200 })
  }) as typeof fetch
  const sources: FakeSource[] = []
  const api = createHttpBridge('http://127.0.0.1:8080', {
    fetch: fetchFake,
    eventSource: (url) => {
      const source = new FakeSource(url)
      sources.push(source)
      return source
    },
    ...opts,
  })
  const seen: AppEvent[] = []
  const stop = api.onEvent((event) => seen.push(event))
  return {
    api,
    state,
    calls,
    sources,
    seen,
    stop,
    hold(): () => void {
      let release = (): void => undefined
      gate = new Promise((resolve) => (release = resolve))
      return () => {
        gate = undefined
        release()
      }
    },
    /** The server has a new event: appended to its log, and sent on `source` when it is connected. */
    happen(seq: number, source?: FakeSource): void {
      state.events.push(taskEvent(seq))
      source?.emit({ kind: 'task', event: taskEvent(seq) })
    },
  }
}

const seqs = (events: AppEvent[]): number[] => events.flatMap((e) => (e.kind === 'task' ? [e.event.seq] : []))
const statuses = (events: AppEvent[]): string[] =>
  events.flatMap((e) => (e.kind === 'task-updated' ? [e.task.status] : []))
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

afterEach(() => vi.useRealTimers())

describe('the HTTP bridge across reconnects', () => {
  it('fetches what a followed task missed while disconnected and delivers it once, in order', async () => {
    const { api, state, sources, seen, happen, hold, calls } = setup({ reconnectMs: 5 })
    sources[0]!.open()
    happen(0, sources[0])
    happen(1, sources[0])
    // A timeline opens: its history makes the task followed.
    const history = await api['tasks.events']({ id: 't1' })
    expect(history).toMatchObject({ ok: true, value: [{ seq: 0 }, { seq: 1 }] })
    happen(2, sources[0])
    sources[0]!.fail()
    happen(3)
    happen(4)
    state.task = record('2026-01-01T00:00:09.000Z', 'review')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(sources).toHaveLength(2)
    const release = hold()
    sources[1]!.open()
    // The new stream replays one event the catch-up also returns, and brings a new one before it answers.
    sources[1]!.emit({ kind: 'task', event: taskEvent(4) })
    happen(5, sources[1])
    await settle()
    expect(seqs(seen)).toEqual([0, 1, 2])
    release()
    await settle()
    await settle()
    expect(seqs(seen)).toEqual([0, 1, 2, 3, 4, 5])
    expect(statuses(seen)).toEqual(['running', 'review'])
    expect(calls.filter((c) => c.name === 'tasks.events').at(-1)!.input).toEqual({ id: 't1', afterSeq: 2 })
    happen(6, sources[1])
    expect(seqs(seen)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('catches up after the browser reconnects by itself, and drops records older than one delivered', async () => {
    const { api, state, sources, seen, happen } = setup()
    sources[0]!.open()
    await api['tasks.events']({ id: 't1' })
    await settle()
    sources[0]!.fail(true)
    happen(0)
    happen(1)
    state.task = record('2026-01-01T00:00:05.000Z', 'review')
    sources[0]!.open()
    sources[0]!.emit({ kind: 'task-updated', task: record('2026-01-01T00:00:04.000Z', 'running') })
    await settle()
    await settle()
    expect(sources).toHaveLength(1)
    expect(seqs(seen)).toEqual([0, 1])
    // Records: the first open's list, the catch-up's newer one; the stale one the stream brought is dropped.
    expect(statuses(seen)).toEqual(['running', 'review'])
  })

  it('backs off between replacement streams: doubling, capped, and reset by a good connection', () => {
    vi.useFakeTimers()
    const { sources } = setup({ reconnectMs: 100, reconnectMaxMs: 1000 })
    const waitsBeforeNextSource = (): number => {
      const count = sources.length
      sources.at(-1)!.fail()
      let waited = 0
      while (sources.length === count && waited < 60_000) {
        vi.advanceTimersByTime(1)
        waited++
      }
      return waited
    }
    expect([1, 2, 3, 4, 5, 6].map(() => waitsBeforeNextSource())).toEqual([100, 200, 400, 800, 1000, 1000])
    sources.at(-1)!.open()
    expect([1, 2].map(() => waitsBeforeNextSource())).toEqual([100, 200])
  })
})
