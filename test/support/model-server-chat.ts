/** The scripted model server's Chat Completions answers: a whole completion, or the chunks it streams. */
import { pieces } from './model-server-stream'
import type { Reply } from './model-server-types'

const chatUsage = (u: Reply['usage']) => ({
  prompt_tokens: u.prompt_tokens,
  completion_tokens: u.completion_tokens,
  total_tokens: u.prompt_tokens + u.completion_tokens,
  prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
})

export function chatCompletion(reply: Reply) {
  const { step, toolCalls } = reply
  const message = {
    role: 'assistant',
    content: step.text ?? null,
    refusal: null,
    ...(toolCalls.length
      ? {
          tool_calls: toolCalls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          })),
        }
      : {}),
  }
  return {
    id: `chatcmpl-${reply.index}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    choices: [{ index: 0, message, finish_reason: toolCalls.length ? 'tool_calls' : 'stop', logprobs: null }],
    ...(step.omitUsage ? {} : { usage: chatUsage(reply.usage) }),
  }
}

/** The chunks OpenAI streams for a chat completion; a last chunk with `usage` when `include_usage` asks. */
export function chatChunks(reply: Reply, includeUsage: boolean): Array<{ data: unknown }> {
  const { step, toolCalls } = reply
  const base = {
    id: `chatcmpl-${reply.index}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: reply.model,
    system_fingerprint: null,
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    data: {
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    },
  })
  const out: Array<{ data: unknown }> = [chunk({ role: 'assistant', content: '', refusal: null })]
  for (const piece of pieces(step)) out.push(chunk({ content: piece }))
  for (const [i, call] of toolCalls.entries()) {
    const head = { index: i, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }
    out.push(chunk({ tool_calls: [head] }))
    out.push(chunk({ tool_calls: [{ index: i, function: { arguments: call.arguments } }] }))
  }
  out.push(chunk({}, toolCalls.length ? 'tool_calls' : 'stop'))
  if (includeUsage && !step.omitUsage) {
    out.push({ data: { ...base, choices: [], usage: chatUsage(reply.usage) } })
  }
  return [...out, { data: '[DONE]' }]
}
