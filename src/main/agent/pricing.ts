import type { AgentEvent } from '../../shared/events'
import type { TaskUsage } from '../../shared/task'

/** What a model call costs, from the usage the API reports; the one cost function of the loop and the model proxy. */

/** US dollars per million tokens; `cachedInput` (absent: the input rate) for prompt tokens the API served from its cache. */
export interface ModelPrice {
  input: number
  cachedInput?: number
  output: number
}
export type PricingTable = Record<string, ModelPrice>

/** One answer's tokens as the API reports them: `cached_tokens` is the part of `prompt_tokens` read from the cache. */
export interface PricedUsage {
  prompt_tokens: number
  completion_tokens: number
  cached_tokens?: number
}

const price = (input: number, cachedInput: number | undefined, output: number): ModelPrice =>
  cachedInput === undefined ? { input, output } : { input, cachedInput, output }

/**
 * OpenAI's list prices (standard tier, text tokens), as published on its pricing page
 * (https://platform.openai.com/docs/pricing, now https://developers.openai.com/api/docs/pricing). Taken on
 * 2026-12-01 from copies of that page: gpt-4.1/4o/o-series as of 2025-06-03 (the hex package openai_responses'
 * pricing table), gpt-5/5-mini/5-nano as of 2026-Q2 (the openai-cost crate), gpt-5.x and codex models from
 * GitHub's Copilot price table (github/docs data/tables/copilot/models-and-pricing.yml) and OpenAI's Codex rate
 * card as of 2026-05-13 (credits / 25). Not cross-checked this time: the -pro models, codex-mini-latest and
 * gpt-5.1-codex(-max/-mini). A model not listed has no price: its cost is unknown, never guessed.
 */
export const PRICES: PricingTable = {
  'gpt-5': price(1.25, 0.125, 10),
  'gpt-5-mini': price(0.25, 0.025, 2),
  'gpt-5-nano': price(0.05, 0.005, 0.4),
  'gpt-5-codex': price(1.25, 0.125, 10),
  'gpt-5-pro': price(15, undefined, 120),
  'gpt-5.1': price(1.25, 0.125, 10),
  'gpt-5.1-codex': price(1.25, 0.125, 10),
  'gpt-5.1-codex-max': price(1.25, 0.125, 10),
  'gpt-5.1-codex-mini': price(0.25, 0.025, 2),
  'gpt-5.2': price(1.75, 0.175, 14),
  'gpt-5.2-codex': price(1.75, 0.175, 14),
  'gpt-5.3-codex': price(1.75, 0.175, 14),
  'gpt-5.4': price(2.5, 0.25, 15),
  'gpt-5.4-mini': price(0.75, 0.075, 4.5),
  'gpt-5.4-nano': price(0.2, 0.02, 1.25),
  'gpt-5.5': price(5, 0.5, 30),
  'codex-mini-latest': price(1.5, 0.375, 6),
  'gpt-4.1': price(2, 0.5, 8),
  'gpt-4.1-mini': price(0.4, 0.1, 1.6),
  'gpt-4.1-nano': price(0.1, 0.025, 0.4),
  'gpt-4o': price(2.5, 1.25, 10),
  'gpt-4o-mini': price(0.15, 0.075, 0.6),
  o1: price(15, 7.5, 60),
  'o1-pro': price(150, undefined, 600),
  o3: price(2, 0.5, 8),
  'o3-pro': price(20, undefined, 80),
  'o3-mini': price(1.1, 0.55, 4.4),
  'o4-mini': price(1.1, 0.275, 4.4),
}

/**
 * The price of a model, `pricing` (the user's overrides) winning over the list: the exact name, else the
 * longest listed prefix (dated snapshots such as gpt-4.1-2025-04-14), else the override `*`, else null (unknown).
 */
export function priceOf(model: string, pricing: PricingTable = {}): ModelPrice | null {
  const name = model.toLowerCase().replace(/^.*\//, '')
  const table: PricingTable = { ...PRICES, ...pricing }
  const exact = pricing[model] ?? table[model] ?? table[name]
  if (exact) return exact
  const prefix = Object.keys(table)
    .filter((key) => name.startsWith(`${key.toLowerCase()}-`))
    .sort((a, b) => b.length - a.length)[0]
  return (prefix ? table[prefix] : undefined) ?? pricing['*'] ?? null
}

/** The cost in US dollars of one answer, cached prompt tokens at the cached rate; null when the model has no price. */
export function estimateCostUsd(model: string, usage: PricedUsage, pricing?: PricingTable): number | null {
  const rate = priceOf(model, pricing)
  if (!rate) return null
  const cached = Math.min(Math.max(0, usage.cached_tokens ?? 0), usage.prompt_tokens)
  const fresh = usage.prompt_tokens - cached
  const cachedRate = rate.cachedInput ?? rate.input
  return (fresh * rate.input + cached * cachedRate + usage.completion_tokens * rate.output) / 1_000_000
}

/** One answer's tokens and its cost (null: the model has no price). */
export interface AnswerUsage {
  promptTokens: number
  completionTokens: number
  cachedPromptTokens: number
  costUsd: number | null
}

/** Prices one answer: its tokens (cached ones a part of the prompt's) and its cost, null for a model without a price. */
export function priceAnswer(
  model: string,
  tokens: { promptTokens: number; completionTokens: number; cachedPromptTokens?: number },
  pricing?: PricingTable,
): AnswerUsage {
  const cachedPromptTokens = Math.min(Math.max(0, tokens.cachedPromptTokens ?? 0), tokens.promptTokens)
  const costUsd = estimateCostUsd(
    model,
    {
      prompt_tokens: tokens.promptTokens,
      completion_tokens: tokens.completionTokens,
      cached_tokens: cachedPromptTokens,
    },
    pricing,
  )
  return {
    promptTokens: tokens.promptTokens,
    completionTokens: tokens.completionTokens,
    cachedPromptTokens,
    costUsd,
  }
}

/** Adds an answer to a task's totals, in place (steps are the caller's): once one is unpriced the cost is unknown. */
export function addAnswerUsage(total: TaskUsage, answer: AnswerUsage): void {
  total.promptTokens += answer.promptTokens
  total.completionTokens += answer.completionTokens
  if (answer.cachedPromptTokens > 0 || total.cachedPromptTokens !== undefined) {
    total.cachedPromptTokens = (total.cachedPromptTokens ?? 0) + answer.cachedPromptTokens
  }
  if (answer.costUsd === null) total.costKnown = false
  else total.costUsd += answer.costUsd
}

/** The `usage` event of an answer: cached tokens when some were, `costKnown: false` when it had no price. */
export function usageEvent(step: number, answer: AnswerUsage): Extract<AgentEvent, { type: 'usage' }> {
  const { promptTokens, completionTokens, cachedPromptTokens, costUsd } = answer
  return {
    type: 'usage',
    step,
    promptTokens,
    completionTokens,
    costUsd: costUsd ?? 0,
    ...(cachedPromptTokens > 0 ? { cachedPromptTokens } : {}),
    ...(costUsd === null ? { costKnown: false } : {}),
  }
}

/** A task's totals after one `usage` event (one more step): what the engine stores as each answer arrives. */
export function usageAfter(total: TaskUsage, event: Extract<AgentEvent, { type: 'usage' }>): TaskUsage {
  const next: TaskUsage = { ...total, steps: total.steps + 1 }
  const costUsd = event.costKnown === false ? null : event.costUsd
  addAnswerUsage(next, { ...event, cachedPromptTokens: event.cachedPromptTokens ?? 0, costUsd })
  return next
}
