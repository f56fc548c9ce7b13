/**
 * The budget every tool result is held to, in estimated tokens and in bytes, so that one huge output
 * (a test log, a minified file, a search over a vendored tree) cannot eat the context window.
 *
 * Tokens are estimated without a tokenizer: ASCII text runs close to 4 characters per token with the
 * OpenAI tokenizers (source code 3.5–4.2, English prose ~4.3; the same ratio src/main/agent/token-estimate.ts
 * uses for whole prompts), and a character outside ASCII (CJK, emoji, accented letters) is counted as a
 * token of its own, which overestimates accented prose and is about right for CJK.
 */
export const CHARS_PER_TOKEN = 4
/** The most a single tool result may hold: ~12k tokens, ~48 KB. */
export const TOOL_RESULT_MAX_TOKENS = 12_000
export const TOOL_RESULT_MAX_BYTES = 48_000

export interface ResultBudget {
  maxTokens: number
  maxBytes: number
}

export const TOOL_RESULT_BUDGET: ResultBudget = {
  maxTokens: TOOL_RESULT_MAX_TOKENS,
  maxBytes: TOOL_RESULT_MAX_BYTES,
}

interface Cost {
  tokens: number
  bytes: number
}

function costOf(text: string): Cost {
  let ascii = 0
  let other = 0
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) {
      ascii++
      bytes++
    } else if (code >= 0xdc00 && code < 0xe000) {
      bytes += 2 // the low half of a surrogate pair: the pair is 4 bytes, one token
    } else {
      other++
      bytes += code < 0x800 ? 2 : 3
    }
  }
  return { tokens: Math.ceil(ascii / CHARS_PER_TOKEN) + other, bytes }
}

/** The estimated tokens of a text (see CHARS_PER_TOKEN). */
export const estimateTokens = (text: string): number => costOf(text).tokens

const fits = (cost: Cost, budget: ResultBudget): boolean =>
  cost.tokens <= budget.maxTokens && cost.bytes <= budget.maxBytes

/** The longest start (or end, with `fromEnd`) of a single line that fits the budget. */
function sliceToFit(line: string, budget: ResultBudget, fromEnd: boolean): string {
  let lo = 0
  let hi = line.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    const part = fromEnd ? line.slice(line.length - mid) : line.slice(0, mid)
    if (fits(costOf(part), budget)) lo = mid
    else hi = mid - 1
  }
  return fromEnd ? line.slice(line.length - lo) : line.slice(0, lo)
}

/** How many whole lines from the start (or the end) fit the budget. */
function linesThatFit(lines: string[], budget: ResultBudget, fromEnd: boolean): number {
  const used = { tokens: 0, bytes: 0 }
  let count = 0
  for (let k = 0; k < lines.length; k++) {
    const cost = costOf(lines[fromEnd ? lines.length - 1 - k : k] ?? '')
    const next = { tokens: used.tokens + cost.tokens, bytes: used.bytes + cost.bytes + 1 }
    if (!fits(next, budget)) break
    used.tokens = next.tokens
    used.bytes = next.bytes
    count++
  }
  return count
}

/** A single overlong line: its start and end, with the characters between counted. */
function capOneLine(text: string, half: ResultBudget): string {
  const head = sliceToFit(text, half, false)
  const tail = sliceToFit(text.slice(head.length), half, true)
  const omitted = text.length - head.length - tail.length
  return `${head}\n…${omitted} characters omitted (the result was over the tool output budget)…\n${tail}`
}

/**
 * The text itself when it fits the budget; otherwise its first and last lines (half the budget each)
 * with "…N lines omitted…" between, saying how much was cut.
 */
export function capToolResult(text: string, budget: ResultBudget = TOOL_RESULT_BUDGET): string {
  if (fits(costOf(text), budget)) return text
  const marker = 120
  const half = {
    maxTokens: Math.max(1, Math.floor(budget.maxTokens / 2) - marker / CHARS_PER_TOKEN),
    maxBytes: Math.max(1, Math.floor(budget.maxBytes / 2) - marker),
  }
  const lines = text.split('\n')
  if (lines.length < 3) return capOneLine(text, half)
  const headCount = linesThatFit(lines, half, false)
  const tailCount = Math.min(linesThatFit(lines, half, true), lines.length - headCount - 1)
  if (headCount === 0 && tailCount <= 0) return capOneLine(text, half)
  const omitted = lines.slice(headCount, lines.length - tailCount)
  const omittedTokens = estimateTokens(omitted.join('\n'))
  const head = lines.slice(0, headCount).join('\n')
  const tail = tailCount > 0 ? lines.slice(lines.length - tailCount).join('\n') : ''
  return (
    `${head}\n…${omitted.length} lines omitted (~${omittedTokens} tokens; the result was over the tool ` +
    `output budget of ${budget.maxTokens} tokens)…\n${tail}`
  )
}
