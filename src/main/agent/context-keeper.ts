import OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import { AppError } from '../errors'
import type { AgentEvent } from '../../shared/events'
import type { TaskUsage } from '../../shared/task'
import { handoffRequest, preservedPrefix, recentStart, shortenToolOutputs, withSummary } from './compaction'
import type { RetryPolicy } from './model'
import { callModel, type ModelEndpoint } from './model-call'
import { addAnswerUsage, priceAnswer, type PricingTable } from './pricing'
import { Calibration, estimatePromptTokens, estimateToolTokens } from './token-estimate'

/** Compaction starts when the prompt reaches this share of the window. */
export const COMPACT_AT = 0.85
/** Shortening old tool outputs is enough when it brings the prompt under this share. */
const TARGET = 0.6
/** The recent steps kept verbatim take at most this share of the window (at least one step is kept). */
const RECENT_SHARE = 0.3
const RECENT_STEPS = 4
/** The summary call's transcript takes at most this share of the window; the summary at most SUMMARY_SHARE. */
const HANDOFF_SHARE = 0.5
const SUMMARY_SHARE = 0.1

export interface KeeperOptions {
  /** The summary call goes where the loop's calls go, over the same API. */
  endpoint: ModelEndpoint
  /** The stream idle timeout of the summary call (ms). */
  idleMs?: number
  /** The context window in tokens. */
  window: number
  tools: ChatCompletionTool[]
  /** The task's running totals: the summary call's usage is added to them (budgets count it). */
  usage: TaskUsage
  deadline: number
  pricing?: PricingTable
  retry?: Partial<RetryPolicy>
  signal?: AbortSignal
  emit(e: AgentEvent): void
  /** Called once a summary call's usage is counted (the loop checks its budgets there). */
  afterSummary?: () => void
}

/** True for the API's "context length exceeded" refusal, raw or as the AppError completeWithRetry made of it. */
export function isContextLengthExceeded(err: unknown): boolean {
  if (err instanceof OpenAI.APIError) return err.code === 'context_length_exceeded'
  if (err instanceof AppError) return err.details?.code === 'context_length_exceeded'
  return false
}

/** The figures of OpenAI's message: "maximum context length is N tokens. However, your messages resulted in M tokens". */
function overflowFigures(err: unknown): { window?: number; sent?: number } {
  const message = err instanceof Error ? err.message : ''
  const num = (re: RegExp): number | undefined => {
    const n = Number(re.exec(message)?.[1]?.replace(/,/g, ''))
    return Number.isFinite(n) && n > 0 ? n : undefined
  }
  return { window: num(/maximum context length is ([\d,]+)/i), sent: num(/resulted in ([\d,]+) tokens/i) }
}

/** Keeps the prompt inside the window: estimates it before each call, and compacts the history when needed. */
export class ContextKeeper {
  readonly calibration = new Calibration()
  private window: number
  private readonly toolTokens: number

  constructor(private readonly opts: KeeperOptions) {
    this.window = opts.window
    this.toolTokens = estimateToolTokens(opts.tools)
  }

  get windowTokens(): number {
    return this.window
  }

  /** The tokenizer-free estimate of a prompt, before calibration. */
  rawEstimate(messages: readonly ChatCompletionMessageParam[]): number {
    return estimatePromptTokens(messages, this.toolTokens)
  }

  estimate(messages: readonly ChatCompletionMessageParam[]): number {
    return this.calibration.apply(this.rawEstimate(messages))
  }

  /** After a call: what the API reported for the prompt whose raw estimate was `rawTokens`. */
  observe(rawTokens: number, reportedTokens: number): void {
    this.calibration.observe(rawTokens, reportedTokens)
  }

  /** After a "context length exceeded": learn the real window and size from the message when it says them. */
  learnFromOverflow(err: unknown, rawTokens: number): void {
    const { window, sent } = overflowFigures(err)
    if (sent) this.observe(rawTokens, sent)
    const limit = window ?? Math.floor(this.calibration.apply(rawTokens) * 0.9)
    this.window = Math.max(1000, Math.min(this.window, limit))
  }

  /** The history to send: itself while it fits under COMPACT_AT of the window (or unless `force`), else compacted. */
  async fit(
    messages: ChatCompletionMessageParam[],
    step: number,
    force = false,
  ): Promise<ChatCompletionMessageParam[]> {
    const before = this.estimate(messages)
    if (!force && before < COMPACT_AT * this.window) return messages
    const prefix = preservedPrefix(messages)
    const shortened = shortenToolOutputs(messages, prefix, recentStart(messages, RECENT_STEPS, prefix))
    const afterShortening = this.estimate(shortened)
    if (afterShortening <= TARGET * this.window) {
      this.opts.emit(compactionEvent(step, before, afterShortening, ''))
      return shortened
    }
    const from = this.recentFrom(shortened, prefix)
    const handoff = await this.summarize(shortened, step)
    this.opts.afterSummary?.()
    let compacted = withSummary(shortened, handoff.summary, from)
    if (this.estimate(compacted) > TARGET * this.window) {
      compacted = shortenToolOutputs(compacted, preservedPrefix(compacted), compacted.length)
    }
    this.opts.emit({
      ...compactionEvent(step, before, this.estimate(compacted), handoff.summary),
      ...handoff.usage,
    })
    return compacted
  }

  /**
   * One model call of step `step` on the history fitted to the window; a "context length exceeded" refusal
   * compacts it and retries once. Returns the answer and the history it was asked with.
   */
  async complete(
    messages: ChatCompletionMessageParam[],
    step: number,
    request: (messages: ChatCompletionMessageParam[]) => Promise<ChatCompletion>,
  ): Promise<{ completion: ChatCompletion; messages: ChatCompletionMessageParam[] }> {
    let history = await this.fit(messages, step)
    const raw = this.rawEstimate(history)
    try {
      const completion = await request(history)
      this.observe(raw, completion.usage?.prompt_tokens ?? 0)
      return { completion, messages: history }
    } catch (err) {
      if (!isContextLengthExceeded(err)) throw err
      this.learnFromOverflow(err, raw)
      history = await this.fit(history, step, true)
      const completion = await request(history).catch((again: unknown) => {
        if (!isContextLengthExceeded(again)) throw again
        throw new AppError(
          'model_error',
          'The prompt is still too long for the model after compacting the context',
          {
            hint: "Set the model's context window in Settings (or the task), or use a model with a larger one.",
            details: { code: 'context_length_exceeded', window: this.window },
            cause: again,
          },
        )
      })
      return { completion, messages: history }
    }
  }

  /** Where the verbatim recent steps begin: up to RECENT_STEPS of them, as many as fit RECENT_SHARE. */
  private recentFrom(messages: ChatCompletionMessageParam[], prefix: number): number {
    for (let keep = RECENT_STEPS; keep > 1; keep--) {
      const from = recentStart(messages, keep, prefix)
      const size = this.calibration.apply(estimatePromptTokens(messages.slice(from), 0))
      if (size <= RECENT_SHARE * this.window) return from
    }
    return recentStart(messages, 1, prefix)
  }

  /** The handoff summary, by a model call of its own; its usage counts toward the task's budgets. */
  private async summarize(
    messages: ChatCompletionMessageParam[],
    step: number,
  ): Promise<{
    summary: string
    usage: { promptTokens: number; completionTokens: number; costUsd: number }
  }> {
    const { endpoint, usage } = this.opts
    const { model } = endpoint
    const budget = Math.floor((HANDOFF_SHARE * this.window) / this.calibration.ratio)
    const call = (share: number) =>
      callModel(
        endpoint,
        { messages: handoffRequest(messages, Math.floor(budget * share)) },
        {
          signal: this.opts.signal,
          deadline: this.opts.deadline,
          retry: this.opts.retry,
          idleMs: this.opts.idleMs,
          onRetry: (attempt, delayMs, reason) =>
            this.opts.emit({ type: 'retry', step, attempt, delayMs, reason: `${reason} (context summary)` }),
        },
      )
    const completion = await call(1).catch((err: unknown) => {
      if (!isContextLengthExceeded(err)) throw err
      return call(0.3)
    })
    const answer = priceAnswer(
      model,
      {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        cachedPromptTokens: completion.usage?.prompt_tokens_details?.cached_tokens,
      },
      this.opts.pricing,
    )
    addAnswerUsage(usage, answer)
    const text = completion.choices[0]?.message.content?.trim()
    if (!text) {
      throw new AppError(
        'model_error',
        'The model sent an empty handoff summary when the context was compacted',
        {
          hint: 'Try again, or give the task a model with a larger context window.',
        },
      )
    }
    const maxChars = Math.floor(SUMMARY_SHARE * this.window * 4)
    const summary = text.length > maxChars ? `${text.slice(0, maxChars)}\n…(summary cut)` : text
    const { promptTokens, completionTokens } = answer
    return { summary, usage: { promptTokens, completionTokens, costUsd: answer.costUsd ?? 0 } }
  }
}

const compactionEvent = (step: number, beforeTokens: number, afterTokens: number, summary: string) =>
  ({ type: 'compaction', step, beforeTokens, afterTokens, summary }) as const
