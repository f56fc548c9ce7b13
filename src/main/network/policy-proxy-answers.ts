import http from 'node:http'
import type net from 'node:net'

/** How the policy proxy says no: a status and one line of text the user reads (`codex-sys: …`). */

/** A refusal thrown on the way to a target; the CONNECT and plain-HTTP paths answer it as it is. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text)
  }
}

/** 504 when reaching the target timed out, 502 for any other failure to reach it. */
export function gatewayStatus(code: string | undefined): number {
  return code === 'ETIMEDOUT' ? 504 : 502
}

/** An Error with a node-style `code`. */
export function codedError(message: string, code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code })
}

/** A failure to reach `host:port` as the refusal the client gets. */
export function asRefusal(err: unknown, host: string, port: number): Refusal {
  if (err instanceof Refusal) return err
  const code =
    (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error | undefined)?.message ?? 'error'
  return new Refusal(gatewayStatus(code), `could not connect to ${host}:${port} (${code})`)
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  431: 'Request Header Fields Too Large',
}

function body(text: string): Buffer {
  return Buffer.from(`codex-sys: ${text}\n`)
}

/** Answers on a raw socket (CONNECT, parse errors) and closes it. */
export function endWith(socket: net.Socket, status: number, text: string): void {
  if (!socket.writable) return void socket.destroy()
  const content = body(text)
  const reason = REASONS[status] ?? http.STATUS_CODES[status] ?? 'Error'
  const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${content.length}\r\nConnection: close\r\n\r\n`
  socket.end(Buffer.concat([Buffer.from(head), content]), () => socket.destroy())
}

/** Answers a plain HTTP request (or drops it when its answer has begun already). */
export function sendText(res: http.ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy()
  const content = body(text)
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': content.length })
  res.end(content)
}
