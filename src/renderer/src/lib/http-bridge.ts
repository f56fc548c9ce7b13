import type { Api } from '../../../shared/api'
import { CALL_NAMES } from '../../../shared/channels'
import type { AppErrorData, Result } from '../../../shared/errors'
import type { AppEvent } from '../../../shared/events'

/** What the bridge needs of an EventSource (the browser's, or a fake in tests). */
export interface EventSourceLike {
  readonly readyState: number
  onmessage: ((event: { data: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  close(): void
}

export interface HttpBridgeDeps {
  fetch?: typeof fetch
  eventSource?: (url: string) => EventSourceLike
  /** Delay before a new stream replaces one the browser gave up on (default 2 s, growing to 30 s). */
  reconnectMs?: number
}

/** The header every state-changing request carries (the server's CSRF check). */
const CUSTOM_HEADERS = { 'x-codex-sys': '1' }
const CLOSED = 2

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
 * resolves with the server's Result (never throws); events come from one shared EventSource on
 * /api/events, opened with the first listener and closed with the last; a dropped ZIP is uploaded to
 * /api/uploads and named by the path the server kept it at.
 */
export function createHttpBridge(origin: string, deps: HttpBridgeDeps = {}): Api {
  const base = origin.replace(/\/+$/, '')
  const doFetch = deps.fetch ?? ((input, init) => fetch(input, init))
  const openSource = deps.eventSource ?? defaultEventSource
  const baseDelay = deps.reconnectMs ?? 2000

  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [
      name,
      (input: unknown) =>
        post(doFetch, `${base}/api/call/${name}`, JSON.stringify(input ?? {}), 'application/json'),
    ]),
  ) as Omit<Api, 'onEvent' | 'fileSource'>

  const listeners = new Set<(event: AppEvent) => void>()
  let source: EventSourceLike | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  let delay = baseDelay

  const dispatch = (data: string): void => {
    let event: AppEvent
    try {
      event = JSON.parse(data) as AppEvent
    } catch {
      return
    }
    delay = baseDelay
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch (err) {
        console.error('An event listener failed', err)
      }
    }
  }
  const connect = (): void => {
    retry = undefined
    if (!listeners.size) return
    const current = openSource(`${base}/api/events`)
    source = current
    current.onmessage = (message) => dispatch(message.data)
    current.onerror = () => {
      // The browser retries dropped streams by itself; one it gave up on (an HTTP error) is replaced.
      if (current.readyState !== CLOSED || source !== current) return
      current.close()
      source = undefined
      retry = setTimeout(connect, delay)
      delay = Math.min(delay * 2, 30_000)
    }
  }
  const disconnect = (): void => {
    if (retry !== undefined) clearTimeout(retry)
    retry = undefined
    source?.close()
    source = undefined
  }

  return {
    ...calls,
    onEvent(listener) {
      const wrapped = (event: AppEvent): void => listener(event)
      listeners.add(wrapped)
      if (!source && retry === undefined) connect()
      return () => {
        listeners.delete(wrapped)
        if (!listeners.size) disconnect()
      }
    },
    fileSource(file) {
      return post<string>(doFetch, `${base}/api/uploads`, file, 'application/zip', {
        'x-file-name': encodeURIComponent(file.name),
      })
    },
  }
}
