import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { Transform } from 'node:stream'
import type { ModelApi } from './model-usage'

/** HTTP plumbing of the model proxy: routes, header hygiene, OpenAI-shaped errors, bounded bodies. */

export interface Route {
  method: 'GET' | 'POST'
  /** Set on the billed routes (chat completions, responses). */
  api?: ModelApi
  /** The path below the upstream base URL: `/chat/completions`, `/responses`, `/models`, `/models/{id}`. */
  suffix: string
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,255}$/

/**
 * The route of a request target, or null. Only exact, un-encoded paths below `basePath` match, so no `..`,
 * `%2e`, `//` or absolute-form target can reach another upstream path.
 */
export function matchRoute(method: string | undefined, path: string, basePath: string): Route | null {
  if (!path.startsWith(`${basePath}/`)) return null
  const suffix = path.slice(basePath.length)
  if (suffix === '/chat/completions') return method === 'POST' ? { method, api: 'chat', suffix } : null
  if (suffix === '/responses') return method === 'POST' ? { method, api: 'responses', suffix } : null
  const id = suffix.startsWith('/models/') ? suffix.slice('/models/'.length) : null
  if (suffix === '/models' || (id !== null && MODEL_ID.test(id)))
    return method === 'GET' ? { method, suffix } : null
  return null
}

/** Hop-by-hop headers: they describe one connection, never the next. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]
/** Request headers that stay behind: hop-by-hop ones, and those the proxy sets itself. */
const REQUEST_DROPPED = new Set([...HOP_BY_HOP, 'host', 'content-length', 'expect', 'accept-encoding'])
/** Credentials, account selectors and client identity: the host decides these, never the container. */
const CREDENTIALS = new Set([
  'authorization',
  'proxy-authorization',
  'api-key',
  'x-api-key',
  'cookie',
  'openai-organization',
  'openai-project',
  'chatgpt-account-id',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
])
const CREDENTIAL_SHAPED = /auth|api[-_]?key|token|secret|passw|cookie|credential/i
/** Response headers that stay on the host: hop-by-hop, cookies, and which account answered. */
const ANSWER_DROPPED = new Set([...HOP_BY_HOP, 'set-cookie', 'openai-organization', 'openai-project'])

/** The headers with a value that `dropped` does not name. */
function keptHeaders(headers: IncomingHttpHeaders, dropped: (name: string) => boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !dropped(name)) out[name] = value
  }
  return out
}

/** The request headers to forward: without hop-by-hop, credential-ish or account-selecting ones. */
export function forwardedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  )
  return keptHeaders(
    headers,
    (name) =>
      REQUEST_DROPPED.has(name) || named.has(name) || CREDENTIALS.has(name) || CREDENTIAL_SHAPED.test(name),
  )
}

/** The upstream's response headers to pass back; without `content-length` when the proxy rewrites the body. */
export function answerHeaders(headers: IncomingHttpHeaders, rewritten: boolean): OutgoingHttpHeaders {
  return keptHeaders(headers, (name) => ANSWER_DROPPED.has(name) || (rewritten && name === 'content-length'))
}

export interface ApiErrorBody {
  message: string
  type: string
  code: string | null
}

/** Answers with an error shaped as OpenAI's (`{ error: { message, type, param, code } }`). */
export function sendError(
  res: ServerResponse,
  status: number,
  error: ApiErrorBody,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = JSON.stringify({
    error: { message: error.message, type: error.type, param: null, code: error.code },
  })
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}

export const invalidRequest = (message: string, code: string | null = null): ApiErrorBody => ({
  message,
  type: 'invalid_request_error',
  code,
})
export const serverError = (message: string, code: string | null = null): ApiErrorBody => ({
  message,
  type: 'server_error',
  code,
})

/** The body of a request, or null when it is larger than `max` bytes (the rest is left unread). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(null)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > max) {
        req.off('data', onData)
        req.pause()
        resolve(null)
      } else chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
    req.once('close', () => {
      if (!req.complete) reject(new Error('The client went away while sending its request'))
    })
  })
}

/** A decompressor for a `content-encoding`, so usage can be read from a compressed answer; null if unknown. */
export function decoderFor(encoding: string): Transform | null {
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip()
  if (encoding === 'deflate') return createInflate()
  if (encoding === 'br') return createBrotliDecompress()
  return null
}
