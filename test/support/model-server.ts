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
      /** Streamed answers only: the text's pieces, one a chunk (default: the text split after each space). */
      chunks?: string[]
      /** Streamed answers only: the pause before each chunk after the first. */
      chunkDelayMs?: number
      /** Leave usage out of the answer (servers that do not report it). */
      omitUsage?: boolean
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

/** A recorded, well-formed request. A Responses API request is recorded with its `input` also as `messages`. */
export interface RecordedRequest {
  headers: Record<string, string | undefined>
  body: ChatRequest
  /** `/v1/chat/completions` or `/v1/responses`. */
  path: string
  /** When the server wrote the answer's last byte (epoch ms); unset while it is still answering. */
  finishedAt?: number
}

export interface ModelServer {
  baseURL: string
  requests: RecordedRequest[]
  /** Every HTTP request that arrived, well formed or not, before any check. */
  hits: Array<{ method: string; path: string; authorization?: string }>
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

/** What is wrong with a Responses API request; null when it is well formed (the checks this server needs). */
export function validateResponsesRequest(body: unknown): string | null {
  if (!isObject(body)) return 'The body must be a JSON object.'
  if (typeof body.model !== 'string' || !body.model) return "Missing required parameter: 'model'."
  if (typeof body.input !== 'string' && !Array.isArray(body.input))
    return "Missing required parameter: 'input'."
  return null
}

/** A Responses API `input` (and `instructions`) as chat messages, for scripts and assertions. */
function inputAsMessages(body: Record<string, unknown>): ChatMessage[] {
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

type Answer = Extract<ScriptStep, { text?: string }>
interface Reply {
  index: number
  model: string
  step: Answer
  toolCalls: Array<{ id: string; name: string; arguments: string }>
  usage: { prompt_tokens: number; completion_tokens: number }
  /** Aborted when the client went away: a streamed answer stops. */
  gone: AbortSignal
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const pieces = (step: Answer): string[] =>
  step.chunks ?? (step.text ? (step.text.match(/[^ ]+ */g) ?? [step.text]) : [])

/** Writes server-sent events one by one, pausing `chunkDelayMs` between them, until the client goes away. */
async function writeEvents(
  res: ServerResponse,
  reply: Reply,
  events: Array<{ event?: string; data: unknown }>,
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': `req_${reply.index}`,
  })
  for (const [i, e] of events.entries()) {
    if (i > 0 && reply.step.chunkDelayMs) await sleep(reply.step.chunkDelayMs)
    if (reply.gone.aborted) return
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data)
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`)
  }
  res.end()
}

const chatUsage = (u: Reply['usage']) => ({
  ...u,
  total_tokens: u.prompt_tokens + u.completion_tokens,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
})

function chatCompletion(reply: Reply) {
  const { step, toolCalls } = reply
  const message = {
    role: 'assistant',
    content: step.text ?? null,
    refusal: null,
    ...(toolCalls.length
      ? { tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: c })) }
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
function chatChunks(reply: Reply, includeUsage: boolean): Array<{ data: unknown }> {
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

/** A Responses API response object; `done` false gives the in-progress snapshot `response.created` carries. */
function responseObject(reply: Reply, body: Record<string, unknown>, done: boolean) {
  const { step, toolCalls } = reply
  const output: unknown[] = []
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
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: u.completion_tokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: u.prompt_tokens + u.completion_tokens,
          }
        : null,
    user: null,
    metadata: {},
  }
}

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
function responseEvents(
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

/**
 * A scripted OpenAI-compatible server on 127.0.0.1, shaped like OpenAI's API: POST /v1/chat/completions and
 * POST /v1/responses answer the script's steps in order (streamed as server-sent events with `stream: true`;
 * chat sends its usage chunk when `stream_options.include_usage` asks, responses in `response.completed`),
 * GET /v1/models lists `models` and GET /v1/models/{id} describes one. With `apiKey`, other bearer tokens get
 * a real-looking 401.
 */
export async function startModelServer(
  script: ScriptStep[] | ((req: ChatRequest, index: number) => ScriptStep),
  opts: { apiKey?: string; models?: string[] } = {},
): Promise<ModelServer> {
  const requests: ModelServer['requests'] = []
  const hits: ModelServer['hits'] = []
  let completions = 0
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, apiError(String(err), 'server_error'))
      else res.destroy()
    })
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const auth = req.headers.authorization ?? ''
    hits.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization })
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
    const models = (opts.models ?? ['test-model']).map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'test',
    }))
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return send(res, 200, { object: 'list', data: models })
    }
    if (req.method === 'GET' && url.pathname.startsWith('/v1/models/')) {
      const id = decodeURIComponent(url.pathname.slice('/v1/models/'.length))
      const found = models.find((m) => m.id === id)
      if (found) return send(res, 200, found)
      return send(
        res,
        404,
        apiError(`The model '${id}' does not exist`, 'invalid_request_error', 'model_not_found'),
      )
    }
    const api =
      url.pathname === '/v1/chat/completions' ? 'chat' : url.pathname === '/v1/responses' ? 'responses' : null
    if (req.method !== 'POST' || !api) {
      return send(res, 404, apiError(`Unknown route ${req.method} ${url.pathname}`))
    }
    let raw: unknown
    try {
      raw = JSON.parse(await readBody(req))
    } catch {
      return send(res, 400, apiError('The body is not valid JSON.'))
    }
    const problem = api === 'chat' ? validateChatRequest(raw) : validateResponsesRequest(raw)
    if (problem) return send(res, 400, apiError(problem))
    const body = raw as Record<string, unknown>
    const request = (api === 'chat' ? body : { ...body, messages: inputAsMessages(body) }) as ChatRequest
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
    )
    const record: RecordedRequest = { headers, body: request, path: url.pathname }
    requests.push(record)
    res.on('close', () => (record.finishedAt ??= Date.now()))
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
    if (step.delayMs) await sleep(step.delayMs)
    if ('status' in step) {
      const { message, type = 'invalid_request_error', code = null } = step.error
      return send(res, step.status, { error: { message, type, param: null, code } }, step.headers)
    }
    const gone = new AbortController()
    res.on('close', () => gone.abort())
    const reply: Reply = {
      index,
      model: request.model,
      step,
      toolCalls: (step.toolCalls ?? []).map((call, i) => ({
        id: `call_${index}_${i}`,
        name: call.name,
        arguments: typeof call.args === 'string' ? call.args : JSON.stringify(call.args ?? {}),
      })),
      usage: step.usage ?? { prompt_tokens: 100, completion_tokens: 20 },
      gone: gone.signal,
    }
    const stream = body.stream === true
    if (api === 'chat' && stream) {
      const options = isObject(body.stream_options) ? body.stream_options : {}
      return writeEvents(res, reply, chatChunks(reply, options.include_usage === true))
    }
    if (api === 'chat') return send(res, 200, chatCompletion(reply))
    if (stream) return writeEvents(res, reply, responseEvents(reply, body))
    send(res, 200, responseObject(reply, body, true))
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
