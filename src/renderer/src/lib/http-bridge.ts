import type { Api } from '../../../shared/api'
import { CALL_NAMES } from '../../../shared/channels'
import type { AppErrorData, Result } from '../../../shared/errors'
import type { AppEvent, TaskEvent } from '../../../shared/events'
import type { TaskRecord } from '../../../shared/task'

/** What the bridge needs of an EventSource (the browser's, or a fake in tests). */
export interface EventSourceLike {
  readonly readyState: number
  onmessage: ((event: { data: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  /** Called when the stream is (re)established; the browser's EventSource calls it after its own retries too. */
  onopen?: ((event: unknown) => void) | null
  close(): void
}

/** The calls a catch-up makes: the task list, and one task's events after a seq. */
export interface CatchUpCalls {
  list(): Promise<Result<TaskRecord[]>>
  events(id: string, afterSeq: number): Promise<Result<TaskEvent[]>>
}

export interface LiveEventsOptions {
  url: string
  open: (url: string) => EventSourceLike
  calls: CatchUpCalls
  /** First delay before a stream the browser gave up on is replaced; doubles each failure up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
}

type Listener = (event: AppEvent) => void

const CLOSED = 2

/**
 * The one event stream of a window, shared by every listener, that loses nothing across reconnects.
 * Whenever a stream opens (the first time, after the browser's own retry, or a replacement after a
 * backoff), what happened before is fetched: the task list, and for every task whose events the UI follows
 * (its history was asked for with tasks.events) the events after the newest seq known. Those are delivered
 * to the listeners as ordinary events — records first, then each task's missed events in order, then what
 * the new stream brought meanwhile — and task events already delivered (same task, seq not newer) or
 * records older than one delivered are dropped, so a listener sees each event once and in order.
 */
export class LiveEvents {
  private readonly listeners = new Set<Listener>()
  private source: EventSourceLike | undefined
  private retry: ReturnType<typeof setTimeout> | undefined
  private delay: number
  /** Per task: the newest seq delivered to the listeners. */
  private readonly delivered = new Map<string, number>()
  /** Per followed task: the newest seq the UI has (delivered, or in a tasks.events answer). */
  private readonly followed = new Map<string, number>()
  /** Per task: the updatedAt of the newest record delivered. */
  private readonly records = new Map<string, string>()
  /** Events of the new stream held back while a catch-up runs. */
  private held: AppEvent[] | undefined
  private catchUps = 0

  constructor(private readonly opts: LiveEventsOptions) {
    this.delay = opts.baseDelayMs
  }

  listen(listener: Listener): () => void {
    const wrapped: Listener = (event) => listener(event)
    this.listeners.add(wrapped)
    if (!this.source && this.retry === undefined) this.connect()
    return () => {
      this.listeners.delete(wrapped)
      if (!this.listeners.size) this.disconnect()
    }
  }

  /** A task whose events the UI follows, and the newest seq it has of them (-1: none yet). */
  follow(taskId: string, newestSeq = -1): void {
    this.followed.set(taskId, Math.max(newestSeq, this.followed.get(taskId) ?? -1))
  }

  private connect(): void {
    this.retry = undefined
    if (!this.listeners.size) return
    const current = this.opts.open(this.opts.url)
    this.source = current
    current.onmessage = (message) => this.receive(message.data)
    current.onopen = () => {
      if (this.source !== current) return
      this.delay = this.opts.baseDelayMs
      void this.catchUp()
    }
    current.onerror = () => {
      // The browser retries dropped streams by itself; one it gave up on (an HTTP error) is replaced.
      if (current.readyState !== CLOSED || this.source !== current) return
      current.close()
      this.source = undefined
      this.retry = setTimeout(() => this.connect(), this.delay)
      this.delay = Math.min(this.delay * 2, this.opts.maxDelayMs)
    }
  }

  private disconnect(): void {
    if (this.retry !== undefined) clearTimeout(this.retry)
    this.retry = undefined
    this.source?.close()
    this.source = undefined
    this.held = undefined
    this.catchUps++
  }

  private receive(data: string): void {
    let event: AppEvent
    try {
      event = JSON.parse(data) as AppEvent
    } catch {
      return
    }
    this.delay = this.opts.baseDelayMs
    if (this.held) this.held.push(event)
    else this.deliver(event)
  }

  private async catchUp(): Promise<void> {
    const run = ++this.catchUps
    this.held ??= []
    const ids = [...this.followed.keys()]
    const [list, ...histories] = await Promise.all([
      this.opts.calls.list(),
      ...ids.map((id) => this.opts.calls.events(id, this.newestKnown(id))),
    ])
    // A newer stream started its own catch-up (or the last listener left): that one delivers.
    if (run !== this.catchUps || !this.held) return
    const held = this.held
    this.held = undefined
    if (list.ok) for (const task of list.value) this.deliver({ kind: 'task-updated', task })
    for (const history of histories) {
      if (history.ok) for (const event of history.value) this.deliver({ kind: 'task', event })
    }
    for (const event of held) this.deliver(event)
  }

  private newestKnown(id: string): number {
    return Math.max(this.followed.get(id) ?? -1, this.delivered.get(id) ?? -1)
  }

  private deliver(event: AppEvent): void {
    if (!this.isNew(event)) return
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (err) {
        console.error('An event listener failed', err)
      }
    }
  }

  /** Notes the event as delivered; false when it (or something newer) already was. */
  private isNew(event: AppEvent): boolean {
    if (event.kind === 'task') {
      const { taskId, seq } = event.event
      if (seq <= (this.delivered.get(taskId) ?? -1)) return false
      this.delivered.set(taskId, seq)
      if (this.followed.has(taskId)) this.follow(taskId, seq)
      return true
    }
    if (event.kind === 'task-updated') {
      const newest = this.records.get(event.task.id)
      if (newest !== undefined && event.task.updatedAt < newest) return false
      this.records.set(event.task.id, event.task.updatedAt)
    }
    return true
  }
}

export interface HttpBridgeDeps {
  fetch?: typeof fetch
  eventSource?: (url: string) => EventSourceLike
  /** Delay before a new stream replaces one the browser gave up on (default 2 s, doubling up to `reconnectMaxMs`). */
  reconnectMs?: number
  /** The longest such delay (default 30 s). */
  reconnectMaxMs?: number
}

/** The header every state-changing request carries (the server's CSRF check). */
const CUSTOM_HEADERS = { 'x-codex-sys': '1' }

const unreachable = (): AppErrorData => ({
  kind: 'internal',
  message: 'The codex-sys server is unreachable.',
  hint: 'Check that `npm run serve` is still running, then try again.',
})

const isResult = (value: unknown): value is Result<unknown> =>
  typeof value === 'object' &&
  value !== null &&
  ((value as { ok?: unknown }).ok === true ||
    ((value as { ok?: unknown }).ok === false && typeof (value as { error?: unknown }).error === 'object'))

async function post<T>(
  doFetch: typeof fetch,
  url: string,
  body: string | Blob,
  type: string,
  extraHeaders: Record<string, string> = {},
): Promise<Result<T>> {
  let response: Response
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': type, ...CUSTOM_HEADERS, ...extraHeaders },
      body,
      credentials: 'same-origin',
    })
  } catch {
    return { ok: false, error: unreachable() }
  }
  const parsed: unknown = await response.json().catch(() => undefined)
  if (isResult(parsed)) return parsed as Result<T>
  return {
    ok: false,
    error: {
      kind: 'internal',
      message: `The server answered ${response.status} ${response.statusText}`.trim() + '.',
      hint: 'Reload the page; if it keeps happening, restart `npm run serve`.',
    },
  }
}

function defaultEventSource(url: string): EventSourceLike {
  const Source = (globalThis as unknown as { EventSource?: new (url: string) => EventSourceLike }).EventSource
  if (!Source) throw new Error('This browser has no EventSource')
  return new Source(url)
}

/**
 * The Api over HTTP + SSE to the headless server: each call POSTs its input to /api/call/<name> and
 * resolves with the server's Result (never throws); events come from one shared stream on /api/events
 * (LiveEvents: opened with the first listener, closed with the last, caught up after every reconnect for
 * the tasks whose events were asked for with tasks.events); a dropped ZIP is uploaded to /api/uploads and
 * named by the path the server kept it at.
 */
export function createHttpBridge(origin: string, deps: HttpBridgeDeps = {}): Api {
  const base = origin.replace(/\/+$/, '')
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [
      name,
      (input: unknown) =>
        post(doFetch, `${base}/api/call/${name}`, JSON.stringify(input ?? {}), 'application/json'),
    ]),
  ) as Omit<Api, 'onEvent' | 'fileSource'>
  const live = new LiveEvents({
    url: `${base}/api/events`,
    open: deps.eventSource ?? defaultEventSource,
    calls: {
      list: () => calls['tasks.list']({}),
      events: (id, afterSeq) => calls['tasks.events']({ id, afterSeq }),
    },
    baseDelayMs: deps.reconnectMs ?? 2000,
    maxDelayMs: deps.reconnectMaxMs ?? 30_000,
  })

  return {
    ...calls,
    'tasks.events': async (input) => {
      live.follow(input.id, input.afterSeq)
      const result = await calls['tasks.events'](input)
      if (result.ok) live.follow(input.id, result.value.at(-1)?.seq)
      return result
    },
    onEvent: (listener) => live.listen(listener),
    fileSource(file) {
      return post<string>(doFetch, `${base}/api/uploads`, file, 'application/zip', {
        'x-file-name': encodeURIComponent(file.name),
      })
    },
  }
}
