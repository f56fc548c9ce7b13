import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, lstat, unlink } from 'node:fs/promises'
import {
  Agent as HttpAgent,
  createServer,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { AppError } from '../errors'
import { estimateCostUsd, redact, type PricingTable } from '../agent/model'
import {
  answerHeaders,
  decoderFor,
  forwardedHeaders,
  invalidRequest,
  matchRoute,
  readBody,
  sendError,
  serverError,
  type Route,
} from './model-proxy-http'
import { factsFromJson, SseUsageReader, type ModelApi, type ResponseFacts } from './model-usage'

/**
 * The model proxy: the only way a runtime inside the sandbox (Codex CLI) reaches the model. It listens on a
 * unix socket the container gets bind-mounted (`CONTAINER_MODEL_SOCKET`), accepts only the model API's
 * routes with this task's placeholder key, forwards them to the real endpoint with the real key (read on
 * the host, per request), reads the usage of every answer as it streams past, and enforces the task's
 * token and cost budget.
 */

/** Where the container finds the proxy's socket (a relay in the container serves it on 127.0.0.1:3129). */
export const CONTAINER_MODEL_SOCKET = '/run/codex-net/model.sock'
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024
const MAX_HEADER_BYTES = 16 * 1024
/** A non-streamed answer larger than this is passed on, but billed by estimate. */
const MAX_JSON_ANSWER_BYTES = 32 * 1024 * 1024
const MAX_ERROR_BYTES = 1024 * 1024
/** Bytes per token when an answer reports no usage: an overestimate for text, so the budget still bites. */
const BYTES_PER_TOKEN = 4

export interface ModelUsage {
  promptTokens: number
  completionTokens: number
  costUsd: number
  /** The model that answered (as the answer says), else the request's, else the task's. */
  model: string
  api: ModelApi
  /** No usage in the answer (or the client left mid-answer): tokens estimated from the bytes. */
  estimated: boolean
}

export interface ModelProxyBudget {
  maxTokens: number
  maxCostUsd: number
  /** The task's totals so far, including everything `onUsage` reported. */
  usageSoFar: () => { promptTokens: number; completionTokens: number; costUsd: number }
  onUsage: (usage: ModelUsage) => void
  /** Called once, when the budget is spent; every later request is refused. */
  onExceeded: (err: AppError) => void
}

export interface ModelProxyOptions {
  /** Created with mode 0666 (a stale file there is removed first); its directory is the caller's. */
  socketPath: string
  /** The real endpoint, e.g. https://api.openai.com/v1. */
  upstreamBaseUrl: string
  /** The real key, read on the host for each request; never logged, never in an error or answer. */
  apiKey: () => Promise<string>
  /** The only credential the proxy accepts (`newPlaceholder()`). */
  placeholder: string
  /** The task's model: prices an answer that does not name its model. */
  model?: string
  pricing?: PricingTable
  budget: ModelProxyBudget
  /** Aborting closes the proxy. */
  signal?: AbortSignal
  /** The path prefix the container uses; default `/v1`. */
  basePath?: string
  /** For the upstream connections (e.g. extra CAs); default a keep-alive agent the proxy owns. */
  upstreamAgent?: HttpAgent
  /** An upstream silent this long is cut off; default 10 minutes. */
  upstreamIdleMs?: number
}

/** A per-task placeholder key: random, worthless anywhere but the proxy it was given to. */
export function newPlaceholder(): string {
  return `sk-codex-sandbox-${randomBytes(24).toString('base64url')}`
}

const fmt = (n: number): string => n.toLocaleString('en-US')
const usd = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`
const digest = (text: string): Buffer => createHash('sha256').update(text).digest()
const parseJson = (buf: Buffer): unknown => {
  try {
    return JSON.parse(buf.toString('utf8'))
  } catch {
    return undefined
  }
}

/** Keeps a callback's failure out of the proxy: a broken listener must not end a stream. */
function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // The budget's owner reports its own failures.
  }
}

interface Prepared {
  body: Buffer
  model?: string
  /** The proxy added `stream_options.include_usage`: the usage chunk is the proxy's, not the client's. */
  injectedUsage: boolean
}

/** Reads the request's model; for a streamed chat completion, makes sure the answer reports its usage. */
function prepare(api: ModelApi, body: Buffer): Prepared {
  const json = parseJson(body)
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { body, injectedUsage: false }
  const request = json as Record<string, unknown>
  const model = typeof request.model === 'string' ? request.model : undefined
  const options = request.stream_options
  const asks = typeof options === 'object' && options !== null && !Array.isArray(options)
  if (
    api !== 'chat' ||
    request.stream !== true ||
    (asks && (options as Record<string, unknown>).include_usage === true)
  )
    return { body, model, injectedUsage: false }
  request.stream_options = { ...(asks ? options : {}), include_usage: true }
  return { body: Buffer.from(JSON.stringify(request)), model, injectedUsage: true }
}

function socketPathProblem(path: string): string | null {
  const max = process.platform === 'darwin' ? 103 : 107
  if (!path.startsWith('/')) return 'The model proxy socket path must be absolute.'
  if (Buffer.byteLength(path) > max) return `The model proxy socket path is longer than ${max} bytes: ${path}`
  return null
}

async function removeStale(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => null)
  if (!stat) return
  if (stat.isDirectory()) {
    throw new AppError('invalid_input', `The model proxy socket path is a directory: ${path}`)
  }
  await unlink(path)
}

export class ModelProxy {
  readonly socketPath: string
  readonly placeholder: string
  private readonly server: Server
  private readonly upstream: URL
  private readonly basePath: string
  private readonly agent: HttpAgent
  private readonly ownsAgent: boolean
  private readonly expected: Buffer
  private readonly inflight = new Set<() => void>()
  private socketIno = -1
  private closing: Promise<void> | null = null
  private spent: AppError | null = null
  private onAbort = (): void => void this.close()

  /** Starts a proxy on `opts.socketPath`; resolves once it accepts connections. */
  static async listen(opts: ModelProxyOptions): Promise<ModelProxy> {
    if (opts.signal?.aborted) throw new AppError('cancelled', 'The task was cancelled')
    const problem = socketPathProblem(opts.socketPath)
    if (problem) throw new AppError('invalid_input', problem)
    if (!/^[\x21-\x7e]{24,}$/.test(opts.placeholder)) {
      throw new AppError(
        'invalid_input',
        'The model proxy placeholder key is too short (use newPlaceholder()).',
      )
    }
    let upstream: URL
    try {
      upstream = new URL(opts.upstreamBaseUrl)
    } catch {
      throw new AppError('invalid_input', 'The model API base URL is not a URL.')
    }
    if (!['http:', 'https:'].includes(upstream.protocol) || upstream.username || upstream.password) {
      throw new AppError('invalid_input', 'The model API base URL must be http(s) without credentials in it.')
    }
    await removeStale(opts.socketPath)
    const proxy = new ModelProxy(opts, upstream)
    await proxy.start()
    return proxy
  }

  private constructor(
    private readonly opts: ModelProxyOptions,
    upstream: URL,
  ) {
    this.socketPath = opts.socketPath
    this.placeholder = opts.placeholder
    this.upstream = upstream
    this.basePath = (opts.basePath ?? '/v1').replace(/\/+$/, '')
    this.expected = digest(`Bearer ${opts.placeholder}`)
    this.ownsAgent = !opts.upstreamAgent
    const Agent = upstream.protocol === 'https:' ? HttpsAgent : HttpAgent
    this.agent = opts.upstreamAgent ?? new Agent({ keepAlive: true, maxSockets: 32, noDelay: true })
    this.server = createServer(
      { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 120_000, headersTimeout: 30_000 },
      (req, res) => {
        this.handle(req, res).catch(() => sendError(res, 500, serverError('The model proxy failed.')))
      },
    )
    this.server.maxConnections = 256
  }

  private async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject)
        resolve()
      })
    }).catch((err: NodeJS.ErrnoException) => {
      throw new AppError('internal', `The model proxy could not listen on ${this.socketPath} (${err.code})`)
    })
    this.server.on('error', () => undefined)
    await chmod(this.socketPath, 0o666)
    this.socketIno = (await lstat(this.socketPath)).ino
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true })
  }

  get closed(): boolean {
    return this.closing !== null
  }

  /** Stops accepting, ends requests in flight, removes the socket: the placeholder is dead after. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.opts.signal?.removeEventListener('abort', this.onAbort)
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
      for (const end of this.inflight) end()
      this.server.closeAllConnections()
      await closed
      if (this.ownsAgent) this.agent.destroy()
      const stat = await lstat(this.socketPath).catch(() => null)
      if (stat && stat.ino === this.socketIno) await unlink(this.socketPath).catch(() => undefined)
    })()
    return this.closing
  }

  private authorized(header: string | undefined): boolean {
    return !this.closed && header !== undefined && timingSafeEqual(digest(header), this.expected)
  }

  /** The budget error once the task's totals reach a limit (latched; `onExceeded` is called once). */
  private checkBudget(): AppError | null {
    if (this.spent) return this.spent
    const { maxTokens, maxCostUsd } = this.opts.budget
    let used: ReturnType<ModelProxyBudget['usageSoFar']>
    try {
      used = this.opts.budget.usageSoFar()
    } catch {
      return null
    }
    const tokens = used.promptTokens + used.completionTokens
    const hit =
      tokens >= maxTokens
        ? `Token limit reached: ${fmt(tokens)} of ${fmt(maxTokens)} tokens used`
        : used.costUsd >= maxCostUsd
          ? `Cost limit reached: ${usd(used.costUsd)} of ${usd(maxCostUsd)} spent`
          : null
    if (!hit) return null
    const err = new AppError('budget_exceeded', hit, {
      hint: 'Raise the limit in the task or settings, or split the task into smaller ones.',
      details: { ...used, tokens, limits: { maxTokens, maxCostUsd } },
    })
    this.spent = err
    safely(() => this.opts.budget.onExceeded(err))
    return err
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.authorized(req.headers.authorization)) {
      req.resume()
      return sendError(
        res,
        401,
        invalidRequest(
          'Incorrect API key provided. The sandbox model proxy accepts only the key this task was given.',
          'invalid_api_key',
        ),
      )
    }
    const target = req.url ?? ''
    const q = target.indexOf('?')
    const path = q < 0 ? target : target.slice(0, q)
    const route = matchRoute(req.method, path, this.basePath)
    if (!route) {
      req.resume()
      const shown = `${req.method} ${path.slice(0, 200)}`
      const message =
        `Unknown request URL: ${shown}. The sandbox model proxy serves only POST ${this.basePath}/chat/completions, ` +
        `POST ${this.basePath}/responses and GET ${this.basePath}/models.`
      return sendError(res, 404, invalidRequest(message, 'unknown_url'))
    }
    const spent = this.checkBudget()
    if (spent) {
      req.resume()
      const message = `${spent.message}. This task's budget is spent: the model proxy refuses further requests.`
      return sendError(res, 429, { message, type: 'insufficient_quota', code: 'insufficient_quota' })
    }
    let body: Buffer = Buffer.alloc(0)
    if (route.method === 'POST') {
      const read = await readBody(req, MAX_REQUEST_BYTES)
      if (!read) {
        const message = `The request body is larger than ${MAX_REQUEST_BYTES / 1024 / 1024} MiB.`
        return sendError(res, 413, invalidRequest(message, 'request_too_large'), { connection: 'close' })
      }
      body = read
    } else req.resume()
    const prepared = route.api ? prepare(route.api, body) : { body, injectedUsage: false }
    let key: string
    try {
      key = await this.opts.apiKey()
    } catch (err) {
      const why = err instanceof AppError ? `: ${redact(err.message, [], true)}` : ''
      return sendError(res, 502, serverError(`The host has no API key for the model API${why}`, 'no_api_key'))
    }
    if (!key)
      return sendError(res, 502, serverError('The host has no API key for the model API', 'no_api_key'))
    if (this.closed) return sendError(res, 503, serverError('The model proxy is closed.'))
    await this.forward(req, res, route, target.slice(path.length), prepared, key)
  }

  private upstreamUrl(route: Route, query: string): URL {
    const url = new URL(this.upstream.href)
    url.pathname = `${this.upstream.pathname.replace(/\/+$/, '')}${route.suffix}`
    const params = new URLSearchParams(query.slice(1))
    for (const [name, value] of this.upstream.searchParams) params.set(name, value)
    url.search = params.toString()
    return url
  }

  /** Sends the request upstream with the real key and relays the answer as it arrives. */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    query: string,
    prepared: Prepared,
    key: string,
  ): Promise<void> {
    const url = this.upstreamUrl(route, query)
    const headers = forwardedHeaders(req.headers)
    headers.authorization = `Bearer ${key}`
    headers['accept-encoding'] = 'identity'
    if (route.method === 'POST') headers['content-length'] = prepared.body.length
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    if (res.destroyed || req.socket.destroyed) return Promise.resolve()
    return new Promise<void>((resolve) => {
      let upstream: ClientRequest | undefined
      const end = (): void => {
        upstream?.destroy()
        res.destroy()
      }
      this.inflight.add(end)
      res.on('error', () => undefined)
      res.once('close', () => {
        if (!res.writableFinished) upstream?.destroy()
        this.inflight.delete(end)
        resolve()
      })
      try {
        upstream = send(url, {
          method: route.method,
          headers,
          agent: this.agent,
          timeout: this.opts.upstreamIdleMs ?? 600_000,
        })
      } catch {
        return sendError(res, 502, serverError('The model proxy could not build the upstream request.'))
      }
      const sent = upstream
      sent.once('timeout', () => sent.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
      sent.on('error', (err: NodeJS.ErrnoException) => {
        if (res.headersSent) return end()
        const timedOut = err.code === 'ETIMEDOUT'
        const code = err.code ?? 'connection failed'
        const message = timedOut
          ? `The model API at ${url.origin} did not answer in time.`
          : /CERT|SSL|TLS/.test(code)
            ? `The model proxy does not trust the TLS certificate of the model API at ${url.origin} (${code}).`
            : `The model proxy could not reach the model API at ${url.origin} (${code}).`
        sendError(res, timedOut ? 504 : 502, serverError(message, 'upstream_unreachable'))
      })
      sent.once('response', (answer) => {
        answer.on('error', () => res.destroy())
        const status = answer.statusCode ?? 502
        if (status >= 300 && status < 400) {
          answer.resume()
          const message = `The model API at ${url.origin} answered with a redirect (${status}); the model proxy does not follow redirects.`
          sendError(res, 502, serverError(message, 'upstream_redirect'))
        } else if (status >= 400 || status < 200) this.relayError(answer, res, key)
        else if (route.api) this.relayAnswer(answer, res, route.api, prepared)
        else answer.pipe(res.writeHead(status, answerHeaders(answer.headers, false)))
      })
      sent.end(route.method === 'POST' ? prepared.body : undefined)
    })
  }

  /** An upstream error, with its status, the key (and anything shaped like one) redacted from its body. */
  private relayError(answer: IncomingMessage, res: ServerResponse, key: string): void {
    const status = answer.statusCode ?? 502
    const chunks: Buffer[] = []
    let size = 0
    answer.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_ERROR_BYTES) chunks.push(chunk)
    })
    answer.once('end', () => {
      const encoding = String(answer.headers['content-encoding'] ?? 'identity').toLowerCase()
      if (size > MAX_ERROR_BYTES || encoding !== 'identity') {
        return sendError(res, status, serverError(`The model API answered ${status}.`))
      }
      const body = redact(Buffer.concat(chunks).toString('utf8'), [key], true)
      res.writeHead(status, {
        ...answerHeaders(answer.headers, true),
        'content-length': Buffer.byteLength(body),
      })
      res.end(body)
    })
  }

  /** A billed answer, relayed chunk by chunk as it arrives while its usage is read on the side. */
  private relayAnswer(answer: IncomingMessage, res: ServerResponse, api: ModelApi, prepared: Prepared): void {
    const type = String(answer.headers['content-type'] ?? '').toLowerCase()
    const encoding = String(answer.headers['content-encoding'] ?? 'identity').toLowerCase()
    const sse = type.includes('text/event-stream')
    const rewrite = sse && prepared.injectedUsage && encoding === 'identity'
    const reader = sse ? new SseUsageReader(api, rewrite) : null
    const json: Buffer[] = []
    let jsonBytes = 0
    let bytes = 0
    const note = (chunk: Buffer): void => {
      if (reader) reader.push(chunk)
      else if (jsonBytes <= MAX_JSON_ANSWER_BYTES) {
        jsonBytes += chunk.length
        json.push(chunk)
      }
    }
    const decoder = encoding === 'identity' ? null : decoderFor(encoding)
    decoder?.on('data', note)
    decoder?.on('error', () => undefined)

    let settled = false
    const settle = (complete: boolean): void => {
      if (settled) return
      settled = true
      if (complete && reader) reader.end()
      // A client gone mid-answer still cost what the upstream generated: the usage seen, else an estimate.
      let facts: ResponseFacts = {}
      if (reader) facts = reader.facts
      else if (complete && jsonBytes <= MAX_JSON_ANSWER_BYTES)
        facts = factsFromJson(api, parseJson(Buffer.concat(json)))
      this.account(api, prepared, facts, bytes)
    }

    res.writeHead(answer.statusCode ?? 200, answerHeaders(answer.headers, rewrite))
    res.flushHeaders()
    answer.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (decoder) decoder.write(chunk)
      else note(chunk)
      const text = rewrite ? reader!.output() : null
      const flowing = text === null ? res.write(chunk) : text ? res.write(text) : true
      if (!flowing) {
        answer.pause()
        res.once('drain', () => answer.resume())
      }
    })
    answer.once('end', () => {
      const finish = (): void => {
        if (rewrite) {
          reader!.end()
          const rest = reader!.output()
          if (rest) res.write(rest)
        }
        res.end()
        settle(true)
      }
      if (!decoder) return finish()
      decoder.once('end', finish)
      decoder.once('error', finish)
      decoder.end()
    })
    answer.once('close', () => {
      if (!answer.complete) res.destroy()
    })
    res.once('close', () => settle(false))
  }

  /** Reports one answer's usage (estimated from bytes when it reported none) and checks the budget. */
  private account(api: ModelApi, prepared: Prepared, facts: ResponseFacts, answerBytes: number): void {
    const tokens = facts.usage ?? {
      promptTokens: Math.ceil(prepared.body.length / BYTES_PER_TOKEN),
      completionTokens: Math.ceil(answerBytes / BYTES_PER_TOKEN),
    }
    const model = facts.model ?? prepared.model ?? this.opts.model ?? 'unknown'
    const costUsd = estimateCostUsd(
      model,
      { prompt_tokens: tokens.promptTokens, completion_tokens: tokens.completionTokens },
      this.opts.pricing,
    )
    const usage: ModelUsage = { ...tokens, costUsd, model, api, estimated: !facts.usage }
    safely(() => this.opts.budget.onUsage(usage))
    this.checkBudget()
  }
}
