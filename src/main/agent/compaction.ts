import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'

/**
 * The history transformations of context management (no model calls here: context-keeper.ts decides when, and asks for the summary):
 * old tool outputs shortened to head and tail, and the history rebuilt around a handoff summary.
 */

/** The compaction call's instructions, in the spirit of Codex's compaction prompt. */
export const COMPACTION_PROMPT = `You are performing a CONTEXT CHECKPOINT COMPACTION. Another instance of you will continue this task from your summary alone, without the history below.

Write a handoff summary of the work so far, with these sections:
1. Task: what the user asked for (and every later request or correction).
2. Done: what was done so far, step by step in brief.
3. Learned: facts found about the code and its environment (names, paths, commands, versions, error messages) that the next steps need. Keep exact values.
4. Plan: the current plan and the immediate next step.
5. Files touched: every file created, changed or deleted, with what changed.
6. Open problems: failures not fixed yet, doubts, anything left to verify.

Be concise but keep every detail the next instance cannot find again cheaply. Reply with the summary only.`

/** How the summary is marked in the compacted history, for the model and for whoever reads conversation.json. */
export const SUMMARY_HEADER =
  '[codex-sys] Context compacted. The earlier steps of this task were replaced by this handoff summary, written by you:'

/** Lines kept at each end of a shortened tool output, and the most characters of each kept part. */
const HEAD_LINES = 8
const TAIL_LINES = 8
const KEPT_CHARS = 1200

const isSummary = (m: ChatCompletionMessageParam): boolean =>
  m.role === 'user' && typeof m.content === 'string' && m.content.startsWith(SUMMARY_HEADER)

/** A long text as its head and tail with "…N lines omitted…" between; short texts unchanged. */
export function headAndTail(text: string): string {
  const lines = text.split('\n')
  if (lines.length <= HEAD_LINES + TAIL_LINES + 1 && text.length <= 2 * KEPT_CHARS + 100) return text
  if (lines.length <= HEAD_LINES + TAIL_LINES + 1) {
    const omitted = text.length - 2 * KEPT_CHARS
    return `${text.slice(0, KEPT_CHARS)}\n…${omitted} characters omitted…\n${text.slice(-KEPT_CHARS)}`
  }
  const head = lines.slice(0, HEAD_LINES).join('\n').slice(0, KEPT_CHARS)
  const tail = lines.slice(-TAIL_LINES).join('\n').slice(-KEPT_CHARS)
  return `${head}\n…${lines.length - HEAD_LINES - TAIL_LINES} lines omitted…\n${tail}`
}

/**
 * The index where the last `steps` steps begin: the `steps`-th assistant message from the end (a step is an
 * assistant message and the tool results after it), so a cut there never separates a call from its result.
 * Never before `floor` (the system prompt and the task).
 */
export function recentStart(
  messages: readonly ChatCompletionMessageParam[],
  steps: number,
  floor: number,
): number {
  let seen = 0
  for (let i = messages.length - 1; i >= floor; i--) {
    if (messages[i]?.role !== 'assistant') continue
    if (++seen === steps) return i
  }
  return floor
}

/** The history with the tool outputs before `from` shortened to head and tail. */
export function shortenToolOutputs(
  messages: readonly ChatCompletionMessageParam[],
  from: number,
  to: number,
): ChatCompletionMessageParam[] {
  return messages.map((m, i) => {
    if (i < from || i >= to || m.role !== 'tool' || typeof m.content !== 'string') return m
    const short = headAndTail(m.content)
    return short === m.content ? m : { ...m, content: short }
  })
}

/** How many leading messages are kept through every compaction: the system prompt and the original task. */
export function preservedPrefix(messages: readonly ChatCompletionMessageParam[]): number {
  let n = 0
  if (messages[0]?.role === 'system' || messages[0]?.role === 'developer') n = 1
  if (messages[n]?.role === 'user' && !isSummary(messages[n]!)) n++
  return n
}

/** The history after a summary: the prefix, the summary as a marked user message, the recent steps verbatim. */
export function withSummary(
  messages: readonly ChatCompletionMessageParam[],
  summary: string,
  recentFrom: number,
): ChatCompletionMessageParam[] {
  const prefix = preservedPrefix(messages)
  const recent = messages.slice(Math.max(prefix, recentFrom)).filter((m) => !isSummary(m))
  return [
    ...messages.slice(0, prefix),
    { role: 'user', content: `${SUMMARY_HEADER}\n\n${summary.trim()}` },
    ...recent,
  ]
}

/** One message as transcript text for the summarizer. */
function transcriptEntry(m: ChatCompletionMessageParam): string {
  const content = typeof m.content === 'string' ? m.content : m.content ? JSON.stringify(m.content) : ''
  if (m.role === 'assistant') {
    const calls = (m.tool_calls ?? []).map((c) =>
      c.type === 'function'
        ? `→ ${c.function.name}(${c.function.arguments})`
        : `→ ${c.custom.name}(${c.custom.input})`,
    )
    return [`## assistant`, content, ...calls].filter(Boolean).join('\n')
  }
  if (m.role === 'tool') return `## tool result\n${content}`
  return `## ${m.role}\n${content}`
}

/**
 * The messages of the summary call: the compaction prompt, then the history (the system prompt left out) as
 * one transcript of at most `budgetTokens` estimated tokens — its beginning (the task, an earlier summary) and
 * its end kept, the middle cut — so the call itself always fits the window.
 */
export function handoffRequest(
  messages: readonly ChatCompletionMessageParam[],
  budgetTokens: number,
): ChatCompletionMessageParam[] {
  const entries = messages.filter((m) => m.role !== 'system' && m.role !== 'developer').map(transcriptEntry)
  const budgetChars = Math.max(2000, budgetTokens * 3)
  let text = entries.join('\n\n')
  if (text.length > budgetChars) {
    const head = text.slice(0, Math.floor(budgetChars * 0.4))
    const tail = text.slice(-Math.floor(budgetChars * 0.6))
    text = `${head}\n\n…${text.length - head.length - tail.length} characters of the history omitted…\n\n${tail}`
  }
  return [
    { role: 'system', content: COMPACTION_PROMPT },
    { role: 'user', content: `The history so far:\n\n${text}\n\nWrite the handoff summary now.` },
  ]
}
