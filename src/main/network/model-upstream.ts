import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { redact } from '../agent/model'
import {
  answerHeaders,
  decoderFor,
  forwardedHeaders,
  sendError,
  serverError,
  type Route,
} from './model-proxy-http'
import {
  factsFromJson,
  parseJson,
  SseUsageReader,
  type ModelApi,
  type PreparedRequest,
  type ResponseFacts,
} from './model-usage'

/**
 * The model proxy's upstream side: sends an accepted request to the real endpoint with the real key and
 * relays the answer as it arrives, reading the usage of a billed answer on the side.
 */

/** A non-streamed answer larger than this is passed on, but billed by estimate. */
const MAX_JSON_ANSWER_BYTES = 32 * 1024 * 1024
const MAX_ERROR_BYTES = 1024 * 1024

export interface UpstreamOptions {
  /** The real endpoint, e.g. https://api.openai.com/v1 (its query parameters are added to every request). */
  base: URL
  /** For the upstream connections; default a keep-alive agent the upstream owns. */
  agent?: HttpAgent
  /** An upstream silent this long is cut off. */
  idleMs: number
  /** A billed answer ended, or its client left: what it said about itself, and its size. */
  onAnswer: (api: ModelApi, request: PreparedRequest, facts: ResponseFacts, answerBytes: number) => void
}

/** One accepted request: the client's side of it, where it goes, and the key to send. */
export interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  route: Route
  /** The request target's query (`?…`), or ''. */
  query: string
  request: PreparedRequest
  key: string
}

/** Why the upstream could not be asked: no answer in time (504), an untrusted certificate or no connection (502). */
function unreachable(code: string | undefined, origin: string): { status: number; message: string } {
  if (code === 'ETIMEDOUT')
    return { status: 504, message: `The model API at ${origin} did not answer in time.` }
  const why = code ?? 'connection failed'
  const message = /CERT|SSL|TLS/.test(why)
    ? `The model proxy does not trust the TLS certificate of the model API at ${origin} (${why}).`
    : `The model proxy could not reach the model API at ${origin} (${why}).`
  return { status: 502, message }
}

export class ModelUpstream {
  private readonly agent: HttpAgent
  private readonly inflight = new Set<() => void>()

  constructor(private readonly opts: UpstreamOptions) {
    const Agent = opts.base.protocol === 'https:' ? HttpsAgent : HttpAgent
    this.agent = opts.agent ?? new Agent({ keepAlive: true, maxSockets: 32, noDelay: true })
  }

  /** Ends every exchange in flight, both its sides. */
  endAll(): void {
    for (const end of this.inflight) end()
  }

  /** Destroys the agent if it is the upstream's own. */
  release(): void {
    if (!this.opts.agent) this.agent.destroy()
  }

  private url(route: Route, query: string): URL {
    const { base } = this.opts
    const url = new URL(base.href)
    url.pathname = `${base.pathname.replace(/\/+$/, '')}${route.suffix}`
    const params = new URLSearchParams(query.slice(1))
    for (const [name, value] of base.searchParams) params.set(name, value)
    url.search = params.toString()
    return url
  }

  /** Sends the request upstream with the real key and relays the answer as it arrives. */
  forward(ex: Exchange): Promise<void> {
    const { req, res, route, request } = ex
    const url = this.url(route, ex.query)
    const headers = forwardedHeaders(req.headers)
    headers.authorization = `Bearer ${ex.key}`
    headers['accept-encoding'] = 'identity'
    if (route.method === 'POST') headers['content-length'] = request.body.length
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
        upstream = send(url, { method: route.method, headers, agent: this.agent, timeout: this.opts.idleMs })
      } catch {
        return sendError(res, 502, serverError('The model proxy could not build the upstream request.'))
      }
      const sent = upstream
      sent.once('timeout', () => sent.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })))
      sent.on('error', (err: NodeJS.ErrnoException) => {
        if (res.headersSent) return end()
        const { status, message } = unreachable(err.code, url.origin)
        sendError(res, status, serverError(message, 'upstream_unreachable'))
      })
      sent.once('response', (answer) => this.relay(answer, ex, url.origin))
      sent.end(route.method === 'POST' ? request.body : undefined)
    })
  }

  /** Passes the upstream's answer on: a redirect refused, an error redacted, a billed answer read as it passes. */
  private relay(answer: IncomingMessage, ex: Exchange, origin: string): void {
    const { res, route } = ex
    answer.on('error', () => res.destroy())
    const status = answer.statusCode ?? 502
    if (status >= 300 && status < 400) {
      answer.resume()
      const message = `The model API at ${origin} answered with a redirect (${status}); the model proxy does not follow redirects.`
      sendError(res, 502, serverError(message, 'upstream_redirect'))
    } else if (status >= 400 || status < 200) relayError(answer, res, ex.key)
    else if (route.api) this.relayAnswer(answer, res, route.api, ex.request)
    else answer.pipe(res.writeHead(status, answerHeaders(answer.headers, false)))
  }

  /** A billed answer, relayed chunk by chunk as it arrives while its usage is read on the side. */
  private relayAnswer(
    answer: IncomingMessage,
    res: ServerResponse,
    api: ModelApi,
    request: PreparedRequest,
  ): void {
    const type = String(answer.headers['content-type'] ?? '').toLowerCase()
    const encoding = String(answer.headers['content-encoding'] ?? 'identity').toLowerCase()
    const sse = type.includes('text/event-stream')
    const rewrite = sse && request.injectedUsage && encoding === 'identity'
    const reader = sse ? new SseUsageReader(api, rewrite) : null
    /** The reader whose output replaces the answer's bytes (it drops the usage chunk the proxy asked for). */
    const rewriter = rewrite ? reader : null
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
      // A client gone mid-answer still cost what the upstream generated: the usage seen, else an estimate.
      let facts: ResponseFacts = {}
      if (reader) facts = reader.facts
      else if (complete && jsonBytes <= MAX_JSON_ANSWER_BYTES)
        facts = factsFromJson(api, parseJson(Buffer.concat(json).toString('utf8')))
      this.opts.onAnswer(api, request, facts, bytes)
    }

    res.writeHead(answer.statusCode ?? 200, answerHeaders(answer.headers, rewrite))
    res.flushHeaders()
    answer.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      if (decoder) decoder.write(chunk)
      else note(chunk)
      const text = rewriter ? rewriter.output() : null
      const flowing = text === null ? res.write(chunk) : text ? res.write(text) : true
      if (!flowing) {
        answer.pause()
        res.once('drain', () => answer.resume())
      }
    })
    answer.once('end', () => {
      const finish = (): void => {
        reader?.end()
        const rest = rewriter?.output()
        if (rest) res.write(rest)
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
}

/** An upstream error, with its status, the key (and anything shaped like one) redacted from its body. */
function relayError(answer: IncomingMessage, res: ServerResponse, key: string): void {
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
