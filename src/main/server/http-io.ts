import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { AppErrorData, ErrorKind, Result } from '../../shared/errors'
import { AppError } from '../errors'

/** An error that ends a request with an HTTP status; its body is a failed Result. */
export class HttpError extends AppError {
  readonly status: number

  constructor(status: number, kind: ErrorKind, message: string, opts: { hint?: string } = {}) {
    super(kind, message, opts)
    this.name = 'HttpError'
    this.status = status
  }
}

const STATUS_BY_KIND: Partial<Record<ErrorKind, number>> = {
  invalid_input: 400,
  unsafe_archive: 400,
  unsafe_url: 400,
  not_found: 404,
  conflict: 409,
  unsupported: 501,
  internal: 500,
  disk_full: 507,
}

/** The HTTP status of a failed call: what curl users see; the bridge reads the Result either way. */
export const statusForError = (error: AppErrorData): number => STATUS_BY_KIND[error.kind] ?? 422

/** Headers every response carries. */
export function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('referrer-policy', 'no-referrer')
  res.setHeader('x-frame-options', 'DENY')
  res.setHeader('cross-origin-opener-policy', 'same-origin')
  res.setHeader('cross-origin-resource-policy', 'same-origin')
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: AppErrorData,
  headers: Record<string, string> = {},
): void {
  const body: Result<never> = { ok: false, error }
  sendJson(res, status, body, headers)
}

/**
 * Answers a request whose body is left unread and ends its connection with a lingering close: after
 * our FIN, what the client is still sending is read and dropped for up to `lingerMs`. Closing at once
 * would answer that data with a reset, and a reset can discard our answer in the client's kernel
 * before the client reads it (it then sees EPIPE or ECONNRESET instead of the 413).
 */
export function refuseUnreadBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  error: AppErrorData,
  lingerMs = 2000,
): void {
  // Node ends a `connection: close` answer with the socket's destroySoon (FIN, then close): for this
  // socket it becomes FIN, drain, then close.
  const socket = (res.socket ?? req.socket) as (Socket & { destroySoon?: () => void }) | null
  // No socket: the client is gone already, and the answer goes nowhere.
  if (socket)
    socket.destroySoon = () => {
      socket.end()
      socket.resume()
      const timer = setTimeout(() => socket.destroy(), lingerMs)
      timer.unref()
      socket.once('close', () => clearTimeout(timer))
    }
  sendError(res, status, error, { connection: 'close' })
}

/** Reads a whole (small) body; larger than `limit` → 413. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > limit) throw tooLarge(limit)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw tooLarge(limit)
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
}

export function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'invalid_input', `The request is larger than ${formatBytes(limit)}.`, {
    hint: 'Send something smaller, or raise the limit in Settings.',
  })
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${n} bytes`
}

/**
 * The path of a request split into its raw (still percent-encoded) segments, or null when the target is
 * not a plain origin-form path. API routes match these raw segments exactly, so an encoded slash or dot
 * never turns into a separator.
 */
export function rawSegments(req: IncomingMessage): { segments: string[]; query: URLSearchParams } | null {
  const target = req.url ?? ''
  if (!target.startsWith('/')) return null
  const q = target.indexOf('?')
  const path = q === -1 ? target : target.slice(0, q)
  const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1))
  return { segments: path.split('/').slice(1), query }
}
