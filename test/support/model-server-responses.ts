/** The scripted model server's Responses API answers, and its requests read as chat messages. */
import { pieces } from './model-server-stream'
import type { ChatMessage, Reply } from './model-server-types'
import { isObject } from './model-server-validate'

/** A Responses API `input` (and `instructions`) as chat messages, for scripts and assertions. */
export function inputAsMessages(body: Record<string, unknown>): ChatMessage[] {
  const messages: ChatMessage[] = []
  if (typeof body.instructions === 'string') messages.push({ role: 'system', content: body.instructions })
  if (typeof body.input === 'string') return [...messages, { role: 'user', content: body.input }]
  for (const item of body.input as unknown[]) {
    if (!isObject(item)) continue
    if (item.type === 'function_call' && typeof item.call_id === 'string') {
      const fn = { name: String(item.name), arguments: String(item.arguments) }
      messages.push({ role: 'assistant', tool_calls: [{ id: item.call_id, type: 'function', function: fn }] })
    } else if (item.type === 'function_call_output' && typeof item.call_id === 'string') {
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: item.output })
    } else if (typeof item.role === 'string') {
      messages.push({ role: item.role, content: item.content })
    }
  }
  return messages
}

/** A Responses API response object; `done` false gives the in-progress snapshot `response.created` carries. */
export function responseObject(reply: Reply, body: Record<string, unknown>, done: boolean) {
  const { step, toolCalls } = reply
  const output: unknown[] = []
  if (done) output.push(...reasoningItems(reply))
  if (done && step.text !== undefined) output.push(messageItem(reply, step.text, 'completed'))
  if (done) for (const call of toolCalls) output.push(functionCallItem(call, 'completed'))
  const u = reply.usage
  return {
    id: `resp_${reply.index}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: done ? 'completed' : 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: reply.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage:
      done && !step.omitUsage
        ? {
            input_tokens: u.prompt_tokens,
            input_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
            output_tokens: u.completion_tokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: u.prompt_tokens + u.completion_tokens,
          }
        : null,
    user: null,
    metadata: {},
  }
}

/** The reply's reasoning items, as a reasoning model sends them when asked for `reasoning.encrypted_content`. */
const reasoningItems = (reply: Reply) =>
  (reply.step.reasoning ?? []).map((r, i) => ({
    id: `rs_${reply.index}_${i}`,
    type: 'reasoning',
    summary: r.summary ? [{ type: 'summary_text', text: r.summary }] : [],
    encrypted_content: r.encrypted_content,
  }))

const messageItem = (reply: Reply, text: string | null, status: string) => ({
  id: `msg_${reply.index}`,
  type: 'message',
  status,
  role: 'assistant',
  content: text === null ? [] : [{ type: 'output_text', text, annotations: [], logprobs: [] }],
})
const functionCallItem = (call: Reply['toolCalls'][number], status: string) => ({
  id: `fc_${call.id}`,
  type: 'function_call',
  status,
  call_id: call.id,
  name: call.name,
  arguments: status === 'completed' ? call.arguments : '',
})

/** The events OpenAI streams for a response, `response.created` to `response.completed` (with usage). */
export function responseEvents(
  reply: Reply,
  body: Record<string, unknown>,
): Array<{ event: string; data: unknown }> {
  const out: Array<{ event: string; data: Record<string, unknown> }> = []
  const add = (type: string, data: Record<string, unknown>) =>
    out.push({ event: type, data: { type, sequence_number: out.length, ...data } })
  add('response.created', { response: responseObject(reply, body, false) })
  add('response.in_progress', { response: responseObject(reply, body, false) })
  let outputIndex = 0
  const { step } = reply
  for (const item of reasoningItems(reply)) {
    add('response.output_item.added', {
      output_index: outputIndex,
      item: { ...item, encrypted_content: null },
    })
    add('response.output_item.done', { output_index: outputIndex++, item })
  }
  if (step.text !== undefined) {
    const ids = { item_id: `msg_${reply.index}`, output_index: outputIndex, content_index: 0 }
    add('response.output_item.added', {
      output_index: outputIndex,
      item: messageItem(reply, null, 'in_progress'),
    })
    add('response.content_part.added', { ...ids, part: { type: 'output_text', text: '', annotations: [] } })
    for (const delta of pieces(step)) add('response.output_text.delta', { ...ids, delta, logprobs: [] })
    add('response.output_text.done', { ...ids, text: step.text, logprobs: [] })
    add('response.content_part.done', {
      ...ids,
      part: { type: 'output_text', text: step.text, annotations: [], logprobs: [] },
    })
    add('response.output_item.done', {
      output_index: outputIndex++,
      item: messageItem(reply, step.text, 'completed'),
    })
  }
  for (const call of reply.toolCalls) {
    const ids = { item_id: `fc_${call.id}`, output_index: outputIndex }
    add('response.output_item.added', {
      output_index: outputIndex,
      item: functionCallItem(call, 'in_progress'),
    })
    add('response.function_call_arguments.delta', { ...ids, delta: call.arguments })
    add('response.function_call_arguments.done', { ...ids, arguments: call.arguments })
    add('response.output_item.done', {
      output_index: outputIndex++,
      item: functionCallItem(call, 'completed'),
    })
  }
  add('response.completed', { response: responseObject(reply, body, true) })
  return out
}
