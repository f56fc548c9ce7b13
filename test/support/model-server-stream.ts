/** Streaming shared by both APIs: a text cut into pieces, server-sent events written one by one. */
import type { ServerResponse } from 'node:http'
import type { Answer, Reply } from './model-server-types'

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
export const pieces = (step: Answer): string[] =>
  step.chunks ?? (step.text ? (step.text.match(/[^ ]+ */g) ?? [step.text]) : [])

/** Waits, sending nothing, until the client goes away (or the server closes). */
const stall = (gone: AbortSignal): Promise<void> =>
  new Promise((resolve) => (gone.aborted ? resolve() : gone.addEventListener('abort', () => resolve())))

/**
 * Writes server-sent events one by one, pausing `chunkDelayMs` between them, until the client goes away (or,
 * with `dropAfterEvents`, until the server resets the connection mid-stream; with `stallAfterEvents`, until
 * the client gives up on a stream that stopped sending).
 */
export async function writeEvents(
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
    if (i === reply.step.dropAfterEvents) return void res.destroy()
    if (i === reply.step.stallAfterEvents) return stall(reply.gone)
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data)
    res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`)
  }
  res.end()
}
