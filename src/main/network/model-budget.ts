import { AppError } from '../errors'
import { priceAnswer, type PricingTable } from '../agent/pricing'
import type { ModelApi, PreparedRequest, ResponseFacts } from './model-usage'

/** The model proxy's accounting: each answer's usage reported to the task, and the task's budget enforced. */

/** Bytes per token when an answer reports no usage: an overestimate for text, so the budget still bites. */
const BYTES_PER_TOKEN = 4

export interface ModelUsage {
  promptTokens: number
  completionTokens: number
  /** The part of `promptTokens` served from the prompt cache (priced at the cached rate). */
  cachedPromptTokens: number
  /** 0 when the model has no price (`costKnown: false`): then only the token limit can stop the task. */
  costUsd: number
  costKnown: boolean
  /** The model that answered (as the answer says), else the request's, else the task's. */
  model: string
  api: ModelApi
  /** No usage in the answer (or the client left mid-answer): tokens estimated from the bytes. */
  estimated: boolean
}

export interface ModelProxyBudget {
  maxTokens: number
  maxCostUsd: number
  /** The task's totals so far, including everything `onUsage` reported. */
  usageSoFar: () => { promptTokens: number; completionTokens: number; costUsd: number }
  onUsage: (usage: ModelUsage) => void
  /** Called once, when the budget is spent; every later request is refused. */
  onExceeded: (err: AppError) => void
}

const fmt = (n: number): string => n.toLocaleString('en-US')
const usd = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`

/** Keeps a callback's failure out of the proxy: a broken listener must not end a stream. */
function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // The budget's owner reports its own failures.
  }
}

/** One task's budget, as the proxy sees it. */
export class BudgetKeeper {
  private spent: AppError | null = null

  constructor(
    private readonly budget: ModelProxyBudget,
    /** The task's model: prices an answer that does not name its model. */
    private readonly model: string | undefined,
    private readonly pricing: PricingTable | undefined,
  ) {}

  /** The budget error once the task's totals reach a limit (latched; `onExceeded` is called once). */
  check(): AppError | null {
    if (this.spent) return this.spent
    const { maxTokens, maxCostUsd } = this.budget
    let used: ReturnType<ModelProxyBudget['usageSoFar']>
    try {
      used = this.budget.usageSoFar()
    } catch {
      return null
    }
    const tokens = used.promptTokens + used.completionTokens
    const hit =
      tokens >= maxTokens
        ? `Token limit reached: ${fmt(tokens)} of ${fmt(maxTokens)} tokens used`
        : used.costUsd >= maxCostUsd
          ? `Cost limit reached: ${usd(used.costUsd)} of ${usd(maxCostUsd)} spent`
          : null
    if (!hit) return null
    const err = new AppError('budget_exceeded', hit, {
      hint: 'Raise the limit in the task or settings, or split the task into smaller ones.',
      details: { ...used, tokens, limits: { maxTokens, maxCostUsd } },
    })
    this.spent = err
    safely(() => this.budget.onExceeded(err))
    return err
  }

  /** Reports one answer's usage (estimated from bytes when it reported none) and checks the budget. */
  account(api: ModelApi, request: PreparedRequest, facts: ResponseFacts, answerBytes: number): void {
    const tokens = facts.usage ?? {
      promptTokens: Math.ceil(request.body.length / BYTES_PER_TOKEN),
      completionTokens: Math.ceil(answerBytes / BYTES_PER_TOKEN),
    }
    const model = facts.model ?? request.model ?? this.model ?? 'unknown'
    const answer = priceAnswer(model, tokens, this.pricing)
    const usage: ModelUsage = {
      ...answer,
      costUsd: answer.costUsd ?? 0,
      costKnown: answer.costUsd !== null,
      model,
      api,
      estimated: !facts.usage,
    }
    safely(() => this.budget.onUsage(usage))
    this.check()
  }
}
