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
  return null
}
