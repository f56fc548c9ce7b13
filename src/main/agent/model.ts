import OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions'
import { AppError } from '../errors'
import { streamCompletion } from './chat-stream'
import { StreamDropped, type StreamRequest, type StreamSink } from './stream-guard'

export function createModelClient(opts: { apiKey: string; baseURL?: string; timeoutMs?: number }): OpenAI {
  // maxRetries 0: the loop retries by itself so every retry is visible as an event.
  return new OpenAI({
    apiKey: opts.apiKey,
    baseURL: opts.baseURL,
    timeout: opts.timeoutMs ?? 600_000,
    maxRetries: 0,
  })
}

/**
 * Replaces each secret in a text. With `keyShaped`, also anything shaped like an OpenAI key (API error
 * messages echo masked keys); tool output is left otherwise intact, as the model must see files as they are.
 */
export function redact(text: string, secrets: Array<string | null | undefined>, keyShaped = false): string {
  let out = text
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]')
  return keyShaped ? out.replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, '[redacted]') : out
}

export interface RetryPolicy {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 }

export interface CompleteOptions {
  signal?: AbortSignal
  deadline: number
  retry?: Partial<RetryPolicy>
  onRetry(attempt: number, delayMs: number, reason: string): void
  /** Set: the call streams, its deltas told here; a stream that breaks off is retried as a whole call. */
  stream?: StreamSink
  /** A stream that sends nothing for this long (ms) is retried (default stream-guard's 60 s). */
  idleMs?: number
}

/** A reply that arrived whole but is not what the API answers (a proxy's page, a truncated body): retried. */
export class MalformedReply extends Error {}

const cancelled = (): AppError => new AppError('cancelled', 'The task was cancelled')
const outOfTime = (deadline: number): AppError =>
  new AppError('timeout', 'The task hit its time limit while waiting for the model', {
    hint: 'Give the task a longer time limit, or narrow it down.',
    details: { deadline: new Date(deadline).toISOString() },
  })

function retryAfterMs(err: InstanceType<typeof OpenAI.APIError>): number | undefined {
  const ms = Number(err.headers?.get('retry-after-ms'))
  if (Number.isFinite(ms) && ms >= 0 && err.headers?.get('retry-after-ms')) return ms
  const header = err.headers?.get('retry-after')
  if (!header) return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled())
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(cancelled())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

const apiMessage = (err: InstanceType<typeof OpenAI.APIError>, secret: string | null): string =>
  redact(err.message.split('\n')[0] ?? 'unknown error', [secret], true)

/** Maps a non-retryable API failure to the error the user sees; never includes the key. */
function toAppError(err: unknown, model: string, secret: string | null): AppError {
  if (err instanceof OpenAI.AuthenticationError || err instanceof OpenAI.PermissionDeniedError) {
    return new AppError('auth_failed', 'The model API rejected the API key', {
      hint: 'Set a valid API key for this endpoint (OPENAI_API_KEY or Settings) and try again.',
      details: { status: err.status },
    })
  }
  if (err instanceof OpenAI.NotFoundError) {
    return new AppError(
      'model_error',
      `The model API does not know the model "${model}": ${apiMessage(err, secret)}`,
      {
        hint: 'Check the model name and the base URL.',
        details: { status: 404 },
      },
    )
  }
  if (err instanceof OpenAI.APIError) {
    const quota = err.status === 429
    return new AppError('model_error', `The model API refused the request: ${apiMessage(err, secret)}`, {
      hint: quota
        ? 'The account is out of quota: check its plan and billing.'
        : 'Check the model and its settings.',
      details: { status: err.status, code: err.code ?? undefined },
    })
  }
  return new AppError('model_error', 'The model call failed unexpectedly', { cause: err })
}

function retryReason(err: unknown): string | undefined {
  if (err instanceof StreamDropped) return err.reason
  if (err instanceof SyntaxError) return 'reply not valid JSON'
  if (err instanceof MalformedReply) return 'reply not a completion'
  if (err instanceof OpenAI.APIConnectionError)
    return err instanceof OpenAI.APIConnectionTimeoutError ? 'timeout' : 'connection error'
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return undefined
  if (err.status === 429 && err.code !== 'insufficient_quota') return 'rate limited (429)'
  if (err.status >= 500 || err.status === 408 || err.status === 409) return `server error (${err.status})`
  return undefined
}

/** The reply itself when it has the shape of a completion (the SDK hands back a non-JSON body as text). */
function checkedCompletion(reply: unknown): ChatCompletion {
  const choices = (reply as { choices?: unknown } | null)?.choices
  if (typeof reply !== 'object' || !Array.isArray(choices))
    throw new MalformedReply('The model API sent a reply that is not a chat completion')
  return reply as ChatCompletion
}

/**
 * One chat completion (streamed when `opts.stream` is set) with retries (429, 5xx, connection errors, a
 * dropped or stalled stream, a reply that is not JSON) and the user-facing error mapping.
 */
export function completeWithRetry(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  opts: CompleteOptions,
): Promise<ChatCompletion> {
  return withRetry(client, body.model, opts, async (request) =>
    opts.stream
      ? streamCompletion(client, body, request, opts.stream)
      : checkedCompletion(
          await client.chat.completions.create(body, { signal: request.signal, timeout: request.timeout }),
        ),
  )
}

/**
 * The retry loop of every model call, whichever API: `attempt` makes one call; failures worth retrying
 * (retryReason) wait (Retry-After, else backoff with jitter) and go again, each told to `opts.onRetry`;
 * the others, and the last, become the AppError the user sees. Only a completed attempt returns, so a
 * dropped stream's usage is never counted.
 */
export async function withRetry<T>(
  client: OpenAI,
  model: string,
  opts: CompleteOptions,
  attempt: (request: StreamRequest) => Promise<T>,
): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...opts.retry }
  for (let tries = 1; ; tries++) {
    if (opts.signal?.aborted) throw cancelled()
    const remaining = opts.deadline - Date.now()
    if (remaining <= 0) throw outOfTime(opts.deadline)
    try {
      return await attempt({
        signal: opts.signal,
        timeout: Math.min(client.timeout, remaining),
        idleMs: opts.idleMs,
      })
    } catch (err) {
      if (opts.signal?.aborted) throw cancelled()
      if (Date.now() >= opts.deadline) throw outOfTime(opts.deadline)
      const reason = retryReason(err)
      if (!reason) throw toAppError(err, model, client.apiKey)
      if (tries >= policy.maxAttempts) {
        const last = err instanceof OpenAI.APIError ? apiMessage(err, client.apiKey) : reason
        throw new AppError('model_error', `The model API kept failing (${tries} attempts): ${last}`, {
          hint: 'The service may be down or overloaded; try again later.',
          details: { attempts: tries, status: err instanceof OpenAI.APIError ? err.status : undefined },
        })
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (tries - 1))
      const hinted = err instanceof OpenAI.APIError ? retryAfterMs(err) : undefined
      const delayMs = Math.round(Math.min(policy.maxDelayMs, hinted ?? backoff * (0.5 + Math.random() / 2)))
      if (Date.now() + delayMs >= opts.deadline) throw outOfTime(opts.deadline)
      opts.onRetry(tries, delayMs, reason)
      await sleep(delayMs, opts.signal)
    }
  }
}
