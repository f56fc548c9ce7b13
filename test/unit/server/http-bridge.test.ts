import { afterEach, describe, expect, it, vi } from 'vitest'
import { CALL_NAMES } from '../../../src/shared/channels'
import type { AppEvent } from '../../../src/shared/events'
import { createHttpBridge, type EventSourceLike } from '../../../src/renderer/src/lib/http-bridge'

class FakeSource implements EventSourceLike {
  readyState = 0
  onmessage: ((event: { data: string }) => void) | null = null
  onerror: ((event: unknown) => void) | null = null
  closed = false
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true
    this.readyState = 2
  }
  emit(event: AppEvent | string): void {
    this.onmessage?.({ data: typeof event === 'string' ? event : JSON.stringify(event) })
  }
  fail(readyState: number): void {
    this.readyState = readyState
    this.onerror?.(new Error('stream'))
  }
}

function setup(answer: (url: string, init: RequestInit) => Promise<Response> | Response) {
  const requests: Array<{ url: string; init: RequestInit }> = []
  const sources: FakeSource[] = []
  const fetchFake = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(input), init: init ?? {} })
    return answer(String(input), init ?? {})
  }) as unknown as typeof fetch
  const api = createHttpBridge('http://127.0.0.1:8080/', {
    fetch: fetchFake,
    eventSource: (url) => {
      const source = new FakeSource(url)
      sources.push(source)
      return source
    },
    reconnectMs: 10,
  })
  return { api, requests, sources }
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

const event = (n: number): AppEvent => ({ kind: 'image', progress: { line: `step ${n}` } })

afterEach(() => vi.useRealTimers())

describe('the HTTP bridge', () => {
  it('posts each call of the contract with the custom header and returns its Result', async () => {
    const { api, requests } = setup(() => json(200, { ok: true, value: [] }))
    for (const name of CALL_NAMES) expect(typeof api[name]).toBe('function')
    expect(await api['tasks.list']({})).toEqual({ ok: true, value: [] })
    expect(requests[0]!.url).toBe('http://127.0.0.1:8080/api/call/tasks.list')
    expect(requests[0]!.init).toMatchObject({
      method: 'POST',
      body: '{}',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-codex-sys': '1' },
    })
  })

  it('passes failed Results through whatever the HTTP status', async () => {
    const error = { kind: 'invalid_input', message: 'id: Not a task id' }
    const { api } = setup(() => json(400, { ok: false, error }))
    expect(await api['tasks.get']({ id: '..' })).toEqual({ ok: false, error })
  })

  it('maps an unreachable server and non-Result answers to internal errors', async () => {
    const down = setup(() => Promise.reject(new TypeError('fetch failed')))
    expect(await down.api['tasks.list']({})).toEqual({
      ok: false,
      error: expect.objectContaining({ kind: 'internal', message: 'The codex-sys server is unreachable.' }),
    })
    const proxy = setup(
      () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
    )
    const result = await proxy.api['settings.get']({})
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'internal', message: 'The server answered 502 Bad Gateway.' },
    })
  })

  it('uploads a file as a ZIP and returns the path the server kept it at', async () => {
    const { api, requests } = setup(() => json(200, { ok: true, value: '/data/uploads/1-ab.zip' }))
    const file = new File([new Uint8Array([0x50, 0x4b, 3, 4])], 'code.zip')
    expect(await api.fileSource(file)).toEqual({ ok: true, value: '/data/uploads/1-ab.zip' })
    expect(requests[0]!.url).toBe('http://127.0.0.1:8080/api/uploads')
    expect(requests[0]!.init.body).toBe(file)
    expect(requests[0]!.init.headers).toMatchObject({ 'content-type': 'application/zip', 'x-codex-sys': '1' })
  })

  it('shares one event stream among listeners and closes it with the last', () => {
    const { api, sources } = setup(() => json(200, {}))
    const a: AppEvent[] = []
    const b: AppEvent[] = []
    const stopA = api.onEvent((e) => a.push(e))
    const stopB = api.onEvent((e) => {
      b.push(e)
      throw new Error('a broken listener does not stop the others')
    })
    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    expect(sources).toHaveLength(1)
    expect(sources[0]!.url).toBe('http://127.0.0.1:8080/api/events')
    sources[0]!.emit(event(1))
    sources[0]!.emit('not json')
    sources[0]!.emit(event(2))
    expect(a).toEqual([event(1), event(2)])
    expect(b).toEqual([event(1), event(2)])
    stopA()
    expect(sources[0]!.closed).toBe(false)
    stopB()
    expect(sources[0]!.closed).toBe(true)
    api.onEvent(() => undefined)
    expect(sources).toHaveLength(2)
  })

  it('lets the browser retry a dropped stream, and replaces one it gave up on', () => {
    vi.useFakeTimers()
    const { api, sources } = setup(() => json(200, {}))
    const seen: AppEvent[] = []
    const stop = api.onEvent((e) => seen.push(e))
    sources[0]!.fail(0)
    vi.advanceTimersByTime(1000)
    expect(sources).toHaveLength(1)
    sources[0]!.fail(2)
    expect(sources[0]!.closed).toBe(true)
    vi.advanceTimersByTime(10)
    expect(sources).toHaveLength(2)
    sources[1]!.emit(event(3))
    expect(seen).toEqual([event(3)])
    sources[1]!.fail(2)
    stop()
    vi.advanceTimersByTime(1000)
    expect(sources).toHaveLength(2)
  })
})
