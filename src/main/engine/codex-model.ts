import type { TaskRecord, TaskUsage } from '../../shared/task'
import { AppError } from '../errors'
import { addAnswerUsage, usageEvent } from '../agent/pricing'
import { ModelProxy, newPlaceholder, type ModelUsage } from '../network/model-proxy'
import type { TurnDeps } from './turn-deps'

/** The real endpoint when Settings name none (what the `openai` SDK uses too). */
export const DEFAULT_MODEL_BASE_URL = 'https://api.openai.com/v1'
const PROBE_TIMEOUT_MS = 15_000

export const modelBaseUrl = (deps: Pick<TurnDeps, 'baseURL'>): string =>
  (deps.baseURL ?? DEFAULT_MODEL_BASE_URL).replace(/\/+$/, '')

/**
 * Whether the endpoint has a Responses API (current Codex speaks nothing else), asked before the task
 * starts: `POST <base>/responses` with an empty JSON object. An endpoint that has the API refuses that body
 * (400/422: no model, no input) without running a model, so the probe costs no tokens and no money, where
 * a tiny real request would spend both and `GET /models` would not tell (chat-only endpoints list models
 * too). A 404/405 means no Responses API; 401/403 a key the endpoint refuses.
 */
export async function probeResponsesApi(
  baseUrl: string,
  apiKey: string,
  signal?: AbortSignal,
): Promise<void> {
  const url = `${baseUrl}/responses`
  let status: number
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: '{}',
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)])
        : AbortSignal.timeout(PROBE_TIMEOUT_MS),
    })
    status = res.status
    await res.body?.cancel().catch(() => undefined)
  } catch (err) {
    if (signal?.aborted) throw new AppError('cancelled', 'The task was cancelled.')
    throw new AppError(
      'model_error',
      `Could not reach the model endpoint ${baseUrl}: ${(err as Error).message}`,
      {
        hint: 'Check the endpoint in Settings and the network, then start the task again.',
      },
    )
  }
  if (status === 404 || status === 405 || status === 501) {
    throw new AppError(
      'unsupported',
      `The model endpoint ${baseUrl} has no Responses API (POST ${url} answered ${status}); the Codex runtime needs it.`,
      {
        hint: 'Use an endpoint that serves /v1/responses (OpenAI does), or run the task with the built-in runtime, which uses Chat Completions.',
        details: { endpoint: baseUrl, status },
      },
    )
  }
  if (status === 401 || status === 403) {
    throw new AppError('auth_failed', `The model endpoint ${baseUrl} refused the API key (${status}).`, {
      hint: 'Check the API key in Settings.',
      details: { endpoint: baseUrl, status },
    })
  }
}

/**
 * The model proxy of one Codex turn: a fresh placeholder, the task's token and cost budget (counted from
 * what the task had spent before this turn, each answer's usage added as it passes), each answer reported
 * as a `usage` event, and a spent budget stopping the task `budget_exceeded`.
 */
export function codexModelProxy(deps: TurnDeps, task: TaskRecord) {
  const placeholder = newPlaceholder()
  const used: TaskUsage = { ...deps.store.get(task.id).usage }
  const onUsage = (usage: ModelUsage): void => {
    used.steps++
    const answer = { ...usage, costUsd: usage.costKnown ? usage.costUsd : null }
    addAnswerUsage(used, answer)
    deps.emit(usageEvent(used.steps, answer))
    void deps.store.update(task.id, { usage: { ...used } }).catch(() => undefined)
  }
  return {
    placeholder,
    /** The step Codex's items belong to: the model answer they came in (reported before them). */
    step: (): number => Math.max(1, used.steps),
    usage: (): TaskUsage => ({ ...used }),
    listen: (socketPath: string): Promise<ModelProxy> =>
      ModelProxy.listen({
        socketPath,
        upstreamBaseUrl: modelBaseUrl(deps),
        apiKey: async () => deps.apiKey,
        placeholder,
        model: task.model,
        signal: deps.signal,
        budget: {
          maxTokens: task.limits.maxTokens,
          maxCostUsd: task.limits.maxCostUsd,
          usageSoFar: () => used,
          onUsage,
          onExceeded: (err) => deps.stop(err),
        },
      }),
  }
}

export type CodexModelProxy = ReturnType<typeof codexModelProxy>
