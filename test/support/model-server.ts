import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chatChunks, chatCompletion } from './model-server-chat'
import { inputAsMessages, responseEvents, responseObject } from './model-server-responses'
import { sleep, writeEvents } from './model-server-stream'
import type { ChatRequest, ModelServer, RecordedRequest, Reply, ScriptStep } from './model-server-types'
import { isObject, validateChatRequest, validateResponsesRequest } from './model-server-validate'
import { contextLengthError, serverTokens, type WindowRecord } from './model-server-window'

export type { ChatMessage, ChatRequest, ModelServer, RecordedRequest, ScriptStep } from './model-server-types'
export { validateChatRequest, validateResponsesRequest } from './model-server-validate'
export { serverTokens, type WindowRecord } from './model-server-window'

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
 * A scripted OpenAI-compatible server on 127.0.0.1, shaped like OpenAI's API: POST /v1/chat/completions and
 * POST /v1/responses answer the script's steps in order (streamed as server-sent events with `stream: true`;
 * chat sends its usage chunk when `stream_options.include_usage` asks, responses in `response.completed`),
 * GET /v1/models lists `models` and GET /v1/models/{id} describes one. With `apiKey`, other bearer tokens get
 * a real-looking 401.
 */
export async function startModelServer(
  script: ScriptStep[] | ((req: ChatRequest, index: number) => ScriptStep),
  /** `apis`: the APIs served (default both); a left-out one answers 404 like an endpoint without it. */
  /**
   * `contextWindow`: requests whose size (model-server-window.ts's estimate) exceeds it get OpenAI's
   * `context_length_exceeded` 400 without using a script step, and answers report that size as prompt_tokens
   * unless the step scripts its usage.
   */
  opts: {
    apiKey?: string
    models?: string[]
    apis?: Array<'chat' | 'responses'>
    contextWindow?: number
  } = {},
): Promise<ModelServer & WindowRecord> {
  const requests: ModelServer['requests'] = []
  const sizes: WindowRecord['sizes'] = []
  const hits: ModelServer['hits'] = []
  let completions = 0
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, apiError(String(err), 'server_error'))
      else res.destroy()
    })
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now()
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
    if (req.method !== 'POST' || !api || (opts.apis && !opts.apis.includes(api))) {
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
    const tokens = serverTokens(body)
    if (opts.contextWindow !== undefined) {
      sizes.push({ tokens, refused: tokens > opts.contextWindow })
      if (tokens > opts.contextWindow) return send(res, 400, contextLengthError(opts.contextWindow, tokens))
    }
    const request = (api === 'chat' ? body : { ...body, messages: inputAsMessages(body) }) as ChatRequest
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
    )
    const record: RecordedRequest = { headers, body: request, path: url.pathname, receivedAt }
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
    if ('fault' in step) {
      if (step.fault === 'reset') return void req.socket.destroy()
      res.writeHead(step.status, { 'content-type': step.contentType })
      return void res.end(step.body)
    }
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
      usage:
        step.usage ??
        (opts.contextWindow !== undefined
          ? { prompt_tokens: tokens, completion_tokens: 20 }
          : { prompt_tokens: 100, completion_tokens: 20 }),
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
    sizes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
