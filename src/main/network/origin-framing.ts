import type http from 'node:http'

/**
 * HTTP/1.1 framing for the plain-HTTP path (origin-pool.ts): the request head as it goes to an origin,
 * and the origin's response head and chunked body as they are parsed here.
 */

const MAX_RESPONSE_HEAD = 64 * 1024
const MAX_CHUNK_LINE = 4096

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Raw header pairs without hop-by-hop and Proxy-* headers, nor those the Connection header names. */
export function filterHeaders(raw: readonly string[]): string[] {
  const named = new Set<string>()
  for (const value of headerValues(raw, 'connection')) {
    for (const n of value.split(',')) named.add(n.trim().toLowerCase())
  }
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? ''
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-') || named.has(lower)) continue
    out.push(name, raw[i + 1] ?? '')
  }
  return out
}

/** The values of one header (`name` in lowercase) among raw header pairs. */
function headerValues(raw: readonly string[], name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) out.push(raw[i + 1] ?? '')
  return out
}

/**
 * The request head for the origin: the request as node's server parsed it, in origin form (`path`), with
 * Host set to the absolute URI's `authority`, without hop-by-hop headers, and chunked when the client's
 * body was (`chunked`).
 */
export function requestHead(
  req: http.IncomingMessage,
  path: string,
  authority: string,
  chunked: boolean,
): string {
  const headers = filterHeaders(req.rawHeaders)
  const lines = [`${req.method} ${path} HTTP/1.1`, `Host: ${authority}`]
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]?.toLowerCase()
    // The client heard "100 Continue" from node's server already; a chunked body has no length.
    if (name === 'host' || name === 'expect' || (chunked && name === 'content-length')) continue
    lines.push(`${headers[i]}: ${headers[i + 1]}`)
  }
  if (chunked) lines.push('Transfer-Encoding: chunked')
  return `${lines.join('\r\n')}\r\n\r\n`
}

/** How a response body ends: no body, after Content-Length bytes, after the last chunk, or at the connection's end. */
export type Framing = 'none' | 'length' | 'chunked' | 'close'

export interface ResponseHead {
  status: number
  reason: string
  /** Raw header pairs as the server sent them, continuation lines folded in. */
  headers: string[]
  keepAlive: boolean
  framing: Framing
  /** The body's length with `length` framing (0 otherwise). */
  length: number
}

export type HeadRead =
  /** No complete final head yet: keep `buffered` (informational answers before it are dropped). */
  | { kind: 'partial'; buffered: Buffer }
  | { kind: 'error'; message: string }
  /** The final head, and the bytes after it. */
  | { kind: 'head'; head: ResponseHead; rest: Buffer }

const error = (message: string): HeadRead => ({ kind: 'error', message })

/** Reads the response head at the start of `buf`, skipping informational answers (100 Continue, 103 Early Hints). */
export function readResponseHead(buf: Buffer, method: string | undefined): HeadRead {
  let rest = buf
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) {
      if (rest.length > MAX_RESPONSE_HEAD) return error('the server sent oversized response headers')
      return { kind: 'partial', buffered: rest }
    }
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n')
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
    if (!m) return error('the server did not answer HTTP/1.x')
    const status = Number(m[2])
    rest = rest.subarray(end + 4)
    if (status >= 100 && status < 200 && status !== 101) continue
    const headers = headerPairs(lines.slice(1))
    const connection = headerValues(headers, 'connection').join(',').toLowerCase()
    const keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection)
    const body = bodyFraming(headers, method, status)
    if ('error' in body) return error(body.error)
    return { kind: 'head', head: { status, reason: m[3] ?? '', headers, keepAlive, ...body }, rest }
  }
}

/** Header lines as raw name/value pairs; a line starting with a space or tab continues the previous value. */
function headerPairs(lines: readonly string[]): string[] {
  const raw: string[] = []
  for (const line of lines) {
    if (/^[ \t]/.test(line) && raw.length) raw[raw.length - 1] += ` ${line.trim()}`
    else {
      const colon = line.indexOf(':')
      if (colon > 0) raw.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
    }
  }
  return raw
}

function bodyFraming(
  headers: readonly string[],
  method: string | undefined,
  status: number,
): { framing: Framing; length: number } | { error: string } {
  if (method === 'HEAD' || status === 204 || status === 304) return { framing: 'none', length: 0 }
  const te = headerValues(headers, 'transfer-encoding').join(',').toLowerCase()
  if (te) return { framing: /(^|,)\s*chunked\s*$/.test(te) ? 'chunked' : 'close', length: 0 }
  const lengths = [...new Set(headerValues(headers, 'content-length'))]
  if (lengths.length === 1 && /^\d+$/.test(lengths[0] ?? '')) {
    return { framing: 'length', length: Number(lengths[0]) }
  }
  if (lengths.length > 1) return { error: 'the server sent conflicting lengths' }
  return { framing: 'close', length: 0 }
}

/** A chunked body, decoded as it arrives: the chunks' data, without sizes, extensions and trailers. */
export class ChunkedDecoder {
  private state: 'size' | 'data' | 'crlf' | 'trailer' = 'size'
  /** Bytes left of the current chunk's data, or of the CRLF after it. */
  private left = 0
  private line = ''

  /**
   * The data slices in `data` (views of it); `end`, once the body is complete, is the offset after it.
   * An error when the framing is malformed.
   */
  decode(data: Buffer): { slices: Buffer[]; end?: number } | { error: string } {
    const slices: Buffer[] = []
    let pos = 0
    while (pos < data.length) {
      if (this.state === 'data' || this.state === 'crlf') {
        const take = Math.min(this.left, data.length - pos)
        if (this.state === 'data') slices.push(data.subarray(pos, pos + take))
        pos += take
        this.left -= take
        if (this.left === 0 && this.state === 'data') {
          this.state = 'crlf'
          this.left = 2
        } else if (this.left === 0) this.state = 'size'
        continue
      }
      const nl = data.indexOf(10, pos)
      this.line += data.toString('latin1', pos, nl < 0 ? data.length : nl)
      if (this.line.length > MAX_CHUNK_LINE) return { error: 'malformed chunked body' }
      if (nl < 0) break
      pos = nl + 1
      const line = this.line.replace(/\r$/, '')
      this.line = ''
      if (this.state === 'trailer') {
        if (line === '') return { slices, end: pos }
        continue
      }
      const size = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line)
      if (!size) return { error: 'malformed chunked body' }
      this.left = parseInt(size[1] ?? '0', 16)
      this.state = this.left === 0 ? 'trailer' : 'data'
    }
    return { slices }
  }
}
