import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, lstat, unlink } from 'node:fs/promises'
import { createServer, type Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { AppError } from '../errors'
import { redact } from '../agent/model'
import type { PricingTable } from '../agent/pricing'
import { BudgetKeeper, type ModelProxyBudget } from './model-budget'
import { invalidRequest, matchRoute, readBody, sendError, serverError } from './model-proxy-http'
import { ModelUpstream } from './model-upstream'
import { prepareRequest } from './model-usage'

export type { ModelProxyBudget, ModelUsage } from './model-budget'

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
  upstreamAgent?: Agent
  /** An upstream silent this long is cut off; default 10 minutes. */
  upstreamIdleMs?: number
}

/** A per-task placeholder key: random, worthless anywhere but the proxy it was given to. */
export function newPlaceholder(): string {
  return `sk-codex-sandbox-${randomBytes(24).toString('base64url')}`
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

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
  private readonly basePath: string
  private readonly expected: Buffer
  private readonly budget: BudgetKeeper
  private readonly upstream: ModelUpstream
  private socketIno = -1
  private closing: Promise<void> | null = null
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
    this.basePath = (opts.basePath ?? '/v1').replace(/\/+$/, '')
    this.expected = digest(`Bearer ${opts.placeholder}`)
    this.budget = new BudgetKeeper(opts.budget, opts.model, opts.pricing)
    this.upstream = new ModelUpstream({
      base: upstream,
      agent: opts.upstreamAgent,
      idleMs: opts.upstreamIdleMs ?? 600_000,
      onAnswer: (api, request, facts, bytes) => this.budget.account(api, request, facts, bytes),
    })
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
      this.upstream.endAll()
      this.server.closeAllConnections()
      await closed
      this.upstream.release()
      const stat = await lstat(this.socketPath).catch(() => null)
      if (stat && stat.ino === this.socketIno) await unlink(this.socketPath).catch(() => undefined)
    })()
    return this.closing
  }

  private authorized(header: string | undefined): boolean {
    return !this.closed && header !== undefined && timingSafeEqual(digest(header), this.expected)
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
    const spent = this.budget.check()
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
    const request = route.api ? prepareRequest(route.api, body) : { body, injectedUsage: false }
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
    await this.upstream.forward({ req, res, route, query: target.slice(path.length), request, key })
  }
}
