import OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions'
import { AppError } from '../errors'
import { StreamDropped, streamCompletion, type StreamSink } from './chat-stream'

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
}

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
  if (err instanceof StreamDropped) return 'stream dropped'
  if (err instanceof OpenAI.APIConnectionError)
    return err instanceof OpenAI.APIConnectionTimeoutError ? 'timeout' : 'connection error'
  if (!(err instanceof OpenAI.APIError) || err.status === undefined) return undefined
  if (err.status === 429 && err.code !== 'insufficient_quota') return 'rate limited (429)'
  if (err.status >= 500 || err.status === 408 || err.status === 409) return `server error (${err.status})`
  return undefined
}

/**
 * One chat completion (streamed when `opts.stream` is set) with retries (429, 5xx, connection errors, a
 * dropped stream) and the user-facing error mapping.
 */
export async function completeWithRetry(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  opts: CompleteOptions,
): Promise<ChatCompletion> {
  const policy = { ...DEFAULT_RETRY, ...opts.retry }
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw cancelled()
    const remaining = opts.deadline - Date.now()
    if (remaining <= 0) throw outOfTime(opts.deadline)
    try {
      const request = { signal: opts.signal, timeout: Math.min(client.timeout, remaining) }
      // Only a completed attempt returns: a dropped stream's usage is never counted.
      return await (opts.stream
        ? streamCompletion(client, body, request, opts.stream)
        : client.chat.completions.create(body, request))
    } catch (err) {
      if (opts.signal?.aborted) throw cancelled()
      if (Date.now() >= opts.deadline) throw outOfTime(opts.deadline)
      const reason = retryReason(err)
      if (!reason) throw toAppError(err, body.model, client.apiKey)
      if (attempt >= policy.maxAttempts) {
        const last = err instanceof OpenAI.APIError ? apiMessage(err, client.apiKey) : reason
        throw new AppError('model_error', `The model API kept failing (${attempt} attempts): ${last}`, {
          hint: 'The service may be down or overloaded; try again later.',
          details: { attempts: attempt, status: err instanceof OpenAI.APIError ? err.status : undefined },
        })
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
      const hinted = err instanceof OpenAI.APIError ? retryAfterMs(err) : undefined
      const delayMs = Math.round(Math.min(policy.maxDelayMs, hinted ?? backoff * (0.5 + Math.random() / 2)))
      if (Date.now() + delayMs >= opts.deadline) throw outOfTime(opts.deadline)
      opts.onRetry(attempt, delayMs, reason)
      await sleep(delayMs, opts.signal)
    }
  }
}
