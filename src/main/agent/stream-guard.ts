/**
 * What both streamed APIs (Chat Completions, Responses) share: a timer for the whole stream, an idle timer
 * that ends a stream that stops sending, and the error a stream broken off mid-reply ends with, so that the
 * retry loop (model.ts) retries it as a whole call.
 */

/** What a streamed reply says while it is being written. */
export interface StreamSink {
  text(piece: string): void
  toolCall(index: number, part: { callId?: string; name?: string; argsDelta: string }): void
  /** The attempt's stream broke off after it began: every delta it sent is void. */
  reset(reason: string): void
}

/** A stream that broke off after it began (a reset connection, an error mid-stream, a stall, no end): retried whole. */
export class StreamDropped extends Error {
  constructor(
    message: string,
    /** Why, in a few words, for the timeline's retry row: "stream dropped", "stream stalled for 60 s". */
    readonly reason: string,
    opts?: { cause?: unknown },
  ) {
    super(message, opts)
  }
}

/** The stream idle timeout when Settings name none. */
export const DEFAULT_STREAM_IDLE_MS = 60_000

export interface StreamRequest {
  signal?: AbortSignal
  /** The most the whole stream may take (ms). */
  timeout: number
  /** The most the stream may go without sending anything (ms); default DEFAULT_STREAM_IDLE_MS. */
  idleMs?: number
}

/** How a streamed call is read: each event consumed, and whether the reply's end came. */
export interface StreamReader<E> {
  consume(event: E): void
  readonly finished: boolean
  /** True once a delta went to the sink. */
  readonly began: boolean
  /** True for an error mid-stream that is no break-off (a refusal): thrown as it is. */
  passThrough?(err: unknown): boolean
}

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`

/**
 * Why a stream broke off, in a few words, for the retry (the SDK throws a SyntaxError on an event that is
 * not JSON); the sink's reset says a timeout as such.
 */
function dropReason(why: 'timeout' | 'idle' | undefined, idleMs: number, err: unknown): string {
  if (why === 'idle') return `stream stalled for ${seconds(idleMs)}`
  if (why === 'timeout') return 'stream dropped'
  return err instanceof SyntaxError ? 'reply not valid JSON' : 'stream dropped'
}

function dropMessage(why: 'timeout' | 'idle' | undefined, idleMs: number, err: unknown): string {
  if (why === 'idle') return `The model's stream sent nothing for ${seconds(idleMs)}`
  if (why === 'timeout') return "The model's stream timed out"
  return `The model's stream broke off: ${err instanceof Error ? err.message : String(err)}`
}

/**
 * Reads one streamed call: `open(signal)` starts it, each event goes to `reader`. A stream that breaks off
 * before its end, stalls past the idle timeout or outlasts `request.timeout` throws StreamDropped, after
 * telling the sink its deltas are void; a cancel rethrows what the client threw, and so does an error
 * `reader.passThrough` accepts (a refusal the retry loop maps itself).
 */
export async function readStream<E>(
  request: StreamRequest,
  sink: StreamSink,
  reader: StreamReader<E>,
  open: (signal: AbortSignal) => Promise<AsyncIterable<E>>,
): Promise<void> {
  // The client's timeout ends with the headers: these hold for the whole stream.
  const call = new AbortController()
  let why: 'timeout' | 'idle' | undefined
  const stop = (reason: 'timeout' | 'idle') => () => {
    why ??= reason
    call.abort()
  }
  const cancel = (): void => call.abort()
  request.signal?.addEventListener('abort', cancel, { once: true })
  const idleMs = request.idleMs ?? DEFAULT_STREAM_IDLE_MS
  const whole = setTimeout(stop('timeout'), request.timeout)
  let idle = setTimeout(stop('idle'), idleMs)
  const alive = (): void => {
    clearTimeout(idle)
    idle = setTimeout(stop('idle'), idleMs)
  }
  const broken = (err: unknown): unknown => {
    const cancelled = request.signal?.aborted === true
    const passed = !cancelled && !why && reader.passThrough?.(err) === true
    if (reader.began)
      sink.reset(
        cancelled ? 'cancelled' : why === 'timeout' ? 'stream timed out' : dropReason(why, idleMs, err),
      )
    if (cancelled || passed) return err
    return new StreamDropped(dropMessage(why, idleMs, err), dropReason(why, idleMs, err), { cause: err })
  }
  try {
    const stream = await open(call.signal).catch((err: unknown) => {
      throw why ? broken(err) : err
    })
    alive()
    // An aborted stream may just end: a stream without its finish is as broken as one that threw.
    let failure: unknown = new Error('it ended before the reply did')
    try {
      for await (const event of stream) {
        alive()
        reader.consume(event)
      }
    } catch (err) {
      failure = err
    }
    if (!reader.finished) throw broken(failure)
  } finally {
    clearTimeout(whole)
    clearTimeout(idle)
    request.signal?.removeEventListener('abort', cancel)
  }
}
