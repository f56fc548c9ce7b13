import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * An HTTP request exactly as written: the path is sent unnormalized (`..`, `%2F` stay as they are) and
 * any Host header can be set, which fetch does not allow.
 */
export function rawRequest(
  origin: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const { hostname, port } = new URL(origin)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

/**
 * fetch with `headers` added to every request: how a Node client without a cookie jar (the HTTP bridge
 * under test, a script) sends the server's token.
 */
export function fetchWith(headers: Record<string, string>): typeof fetch {
  return (input, init = {}) => {
    const merged = new Headers(init.headers)
    for (const [name, value] of Object.entries(headers)) if (!merged.has(name)) merged.set(name, value)
    return fetch(input, { ...init, headers: merged })
  }
}

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Recorder {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

/**
 * A plain HTTP server on 127.0.0.1 that records every request it gets and answers `answer` (by default
 * 200 `{}`): stands for an attacker's listener (it must receive nothing) or a service's double.
 */
export async function startRecorder(
  answer: (req: RecordedRequest) => {
    status: number
    body: unknown
    headers?: Record<string, string>
  } = () => ({
    status: 200,
    body: {},
  }),
): Promise<Recorder> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      const { status, body, headers } = answer(recorded)
      res.writeHead(status, { 'content-type': 'application/json', ...headers })
      res.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

export interface StreamingRequest {
  /** Writes one piece of the body; resolves once it is handed to the socket. */
  write(chunk: string | Buffer): Promise<void>
  end(): void
  /** Bytes of body written so far. */
  sent(): number
  /** The answer (its body read to the end or until the server closed the connection). */
  response: Promise<RawResponse & { sentBeforeAnswer: number }>
  /** Resolves when the connection is gone (closed by either side). */
  closed: Promise<void>
  destroy(): void
}

/**
 * A request whose headers go out at once and whose body the test writes piece by piece, as slowly or
 * as much as it likes: slow bodies (slowloris), and bodies far larger than any limit.
 */
export function streamingRequest(
  origin: string,
  opts: { method?: string; path: string; headers?: Record<string, string> },
): StreamingRequest {
  const { hostname, port } = new URL(origin)
  let sent = 0
  let answered = false
  let resolveResponse!: (value: RawResponse & { sentBeforeAnswer: number }) => void
  let rejectResponse!: (err: unknown) => void
  const response = new Promise<RawResponse & { sentBeforeAnswer: number }>((resolve, reject) => {
    resolveResponse = resolve
    rejectResponse = reject
  })
  const req = request(
    { host: hostname, port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers },
    (res) => {
      answered = true
      const sentBeforeAnswer = sent
      const chunks: Buffer[] = []
      const done = (): void =>
        resolveResponse({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          sentBeforeAnswer,
        })
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', done)
      res.on('error', done)
      res.on('close', done)
    },
  )
  const closed = new Promise<void>((resolve) => req.on('close', () => resolve()))
  // Writing into a connection the server has closed fails: expected once it has answered.
  req.on('error', (err) => {
    if (!answered) rejectResponse(err)
  })
  req.flushHeaders()
  return {
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        if (req.destroyed || req.writableEnded) return reject(new Error('The request is closed'))
        req.write(chunk, (err) => (err ? reject(err) : resolve()))
        sent += Buffer.byteLength(chunk)
      }),
    end: () => req.end(),
    sent: () => sent,
    response,
    closed,
    destroy: () => req.destroy(),
  }
}
