/** How the scripted model server checks a request, the way the real API does: a 400 when it fails. */

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool'])
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** What is wrong with a chat request, the way the real API checks it; null when it is well formed. */
export function validateChatRequest(body: unknown): string | null {
  if (!isObject(body)) return 'The body must be a JSON object.'
  if (typeof body.model !== 'string' || !body.model) return "Missing required parameter: 'model'."
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return "'messages' must be a non-empty array."
  const pending = new Set<string>()
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    if (!isObject(m) || typeof m.role !== 'string' || !ROLES.has(m.role))
      return `messages[${i}]: invalid role.`
    if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string' || !pending.delete(m.tool_call_id)) {
        return `messages[${i}]: a 'tool' message must respond to a preceding tool call (tool_call_id).`
      }
      if (typeof m.content !== 'string') return `messages[${i}]: content must be a string.`
      continue
    }
    if (pending.size)
      return `An assistant message with 'tool_calls' must be followed by tool messages for each id.`
    if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls as unknown[]) {
        if (!isObject(call) || typeof call.id !== 'string' || !isObject(call.function)) {
          return `messages[${i}].tool_calls: each call needs an id and a function.`
        }
        pending.add(call.id)
      }
    } else if (m.content === undefined || (m.content === null && m.role !== 'assistant')) {
      return `messages[${i}]: content is required.`
    }
  }
  if (pending.size)
    return `An assistant message with 'tool_calls' must be followed by tool messages for each id.`
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return "'tools' must be an array."
    for (const [i, t] of (body.tools as unknown[]).entries()) {
      const fn = isObject(t) ? t.function : undefined
      if (!isObject(t) || t.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
        return `tools[${i}]: expected { type: 'function', function: { name, parameters } }.`
      }
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(fn.name)) return `tools[${i}].function.name is invalid.`
      if (fn.parameters !== undefined && (!isObject(fn.parameters) || fn.parameters.type !== 'object')) {
        return `tools[${i}].function.parameters must be a JSON Schema object.`
      }
    }
  }
  return null
}

/** What is wrong with a Responses API request; null when it is well formed (the checks this server needs). */
export function validateResponsesRequest(body: unknown): string | null {
  if (!isObject(body)) return 'The body must be a JSON object.'
  if (typeof body.model !== 'string' || !body.model) return "Missing required parameter: 'model'."
  if (typeof body.input !== 'string' && !Array.isArray(body.input))
    return "Missing required parameter: 'input'."
  return Array.isArray(body.input) ? validateInputItems(body.input as unknown[], body.store === false) : null
}

const followsReasoning = (item: unknown): boolean =>
  isObject(item) && (item.type === 'function_call' || item.role === 'assistant' || item.type === 'message')

/**
 * The checks OpenAI makes of `input` items that this server's clients get wrong most easily: a reasoning
 * item must carry its encrypted content when nothing is stored, and be followed by the item it came with;
 * a function call's output must answer a call sent before it.
 */
function validateInputItems(input: unknown[], stateless: boolean): string | null {
  const calls = new Set<string>()
  for (const [i, item] of input.entries()) {
    if (!isObject(item)) return `input[${i}]: expected an object.`
    if (item.type === 'reasoning') {
      if (stateless && typeof item.encrypted_content !== 'string') {
        return `Item with id '${String(item.id)}' not found. Items are not persisted when \`store\` is set to false.`
      }
      let next = i + 1
      while (isObject(input[next]) && (input[next] as Record<string, unknown>).type === 'reasoning') next++
      if (!followsReasoning(input[next])) {
        return `Item '${String(item.id)}' of type 'reasoning' was provided without its required following item.`
      }
    }
    if (item.type === 'function_call' && typeof item.call_id === 'string') calls.add(item.call_id)
    if (item.type === 'function_call_output' && !calls.has(String(item.call_id))) {
      return `No tool call found for function call output with call_id ${String(item.call_id)}.`
    }
  }
  return null
}
