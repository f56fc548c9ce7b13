import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A scripted reply (text and/or tool calls) or an HTTP error; `delayMs` holds the answer back. */
export type ScriptStep =
  | {
      text?: string
      /** `args` is sent JSON-encoded; a string is sent as it is (to send broken JSON). */
      toolCalls?: Array<{ name: string; args: unknown }>
      usage?: { prompt_tokens: number; completion_tokens: number }
      delayMs?: number
    }
  | {
      status: number
      error: { message: string; type?: string; code?: string }
      headers?: Record<string, string>
      delayMs?: number
    }

export interface ChatMessage {
  role: string
  content?: unknown
  tool_calls?: Array<{ id: string; type: string; function?: { name: string; arguments: string } }>
  tool_call_id?: string
}

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>
  tool_choice?: unknown
  [key: string]: unknown
}

export interface ModelServer {
  baseURL: string
  requests: Array<{ headers: Record<string, string | undefined>; body: ChatRequest }>
  close(): Promise<void>
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool'])
const isObject = (v: unknown): v is Record<string, unknown> =>
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

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const apiError = (message: string, type = 'invalid_request_error', code: string | null = null) => ({
  error: { message, type, param: null, code },
})

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A scripted OpenAI-compatible server on 127.0.0.1: POST /v1/chat/completions answers the script's
 * steps in order, GET /v1/models lists `models`. With `apiKey`, other bearer tokens get a real-looking 401.
 */
export async function startModelServer(
  script: ScriptStep[] | ((req: ChatRequest, index: number) => ScriptStep),
  opts: { apiKey?: string; models?: string[] } = {},
): Promise<ModelServer> {
  const requests: ModelServer['requests'] = []
  let completions = 0
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, apiError(String(err), 'server_error')))
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const auth = req.headers.authorization ?? ''
    if (opts.apiKey !== undefined && auth !== `Bearer ${opts.apiKey}`) {
      const given = auth.replace(/^Bearer /, '')
      const masked = `${given.slice(0, 3)}*********${given.slice(-4)}`
      return send(
        res,
        401,
        apiError(
          `Incorrect API key provided: ${masked}. Find your key in your account.`,
          'invalid_request_error',
          'invalid_api_key',
        ),
      )
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      const data = (opts.models ?? ['test-model']).map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by: 'test',
      }))
      return send(res, 200, { object: 'list', data })
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return send(res, 404, apiError(`Unknown route ${req.method} ${url.pathname}`))
    }
    let body: unknown
    try {
      body = JSON.parse(await readBody(req))
    } catch {
      return send(res, 400, apiError('The body is not valid JSON.'))
    }
    const problem = validateChatRequest(body)
    if (problem) return send(res, 400, apiError(problem))
    const request = body as ChatRequest
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
    )
    requests.push({ headers, body: request })
    const index = completions++
    const step = Array.isArray(script) ? script[index] : script(request, index)
    if (!step) {
      const length = Array.isArray(script) ? script.length : 0
      return send(
        res,
        500,
        apiError(
          `Scripted model server: request #${index + 1} runs past the end of the script (${length} steps)`,
          'server_error',
        ),
      )
    }
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs))
    if ('status' in step) {
      const { message, type = 'invalid_request_error', code = null } = step.error
      return send(res, step.status, { error: { message, type, param: null, code } }, step.headers)
    }
    const toolCalls = (step.toolCalls ?? []).map((call, i) => ({
      id: `call_${index}_${i}`,
      type: 'function' as const,
      function: {
        name: call.name,
        arguments: typeof call.args === 'string' ? call.args : JSON.stringify(call.args ?? {}),
      },
    }))
    const usage = step.usage ?? { prompt_tokens: 100, completion_tokens: 20 }
    const message = {
      role: 'assistant',
      content: step.text ?? null,
      refusal: null,
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    }
    send(res, 200, {
      id: `chatcmpl-${index}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [
        { index: 0, message, finish_reason: toolCalls.length ? 'tool_calls' : 'stop', logprobs: null },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    })
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
