import type { IncomingMessage, ServerResponse } from 'node:http'
import { CALL_NAMES, type CallName } from '../../shared/contract'
import { invokeCall, type Handlers } from '../engine/handlers'
import type { Services } from '../services'
import { EventFeed, STREAM_RETRY_MS } from './event-feed'
import type { SeedAutoPr } from './seed-auto-pr'
import type { SeedProgressTracker } from './seed-progress'
import { HttpError, readBody, refuseUnreadBody, sendJson, statusForError } from './http-io'
import { newUploadPath, receiveZip, refuseEarly } from './uploads'

export interface ServerContext {
  services: Services
  handlers: Handlers
  uploadDir: string
  heartbeatMs: number
  /** Open event streams, ended when the server closes. */
  streams: Set<ServerResponse>
  /** The numbered app events every stream reads (made with the server; opened here when a context has none). */
  feed?: EventFeed
  /** The seed API's state of this process: github_token auto-PRs and the tasks' newest progress. */
  seed: { autoPr: SeedAutoPr; progress: SeedProgressTracker }
}

/** Largest JSON body of a call (a long exclusion list or setup script fits well within). */
const CALL_BODY_LIMIT = 32 * 1024 ** 2
/** An event stream whose client reads slower than this much backlog is dropped; it reconnects. */
const STREAM_BACKLOG_LIMIT = 16 * 1024 ** 2

const isCallName = (name: string): name is CallName => (CALL_NAMES as readonly string[]).includes(name)

/** POST /api/call/<name>: the JSON body is the input; the answer is the call's Result. */
export async function handleCall(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
): Promise<void> {
  if (!isCallName(name)) {
    throw new HttpError(404, 'not_found', `There is no call named ${JSON.stringify(name.slice(0, 100))}.`)
  }
  const text = (await readBody(req, CALL_BODY_LIMIT)).toString('utf8')
  let input: unknown = {}
  if (text.trim()) {
    try {
      input = JSON.parse(text)
    } catch {
      throw new HttpError(400, 'invalid_input', 'The request body is not valid JSON.')
    }
  }
  const result = await invokeCall(ctx.handlers, name, input)
  sendJson(res, result.ok ? 200 : statusForError(result.error), result)
}

/**
 * GET /api/events: every AppEvent as Server-Sent Events with an `id:` (see EventFeed), and a heartbeat
 * comment. A reconnect that sends `Last-Event-ID` first gets the events it missed, as far as they are kept.
 */
export function handleEvents(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  res.write(`retry: ${STREAM_RETRY_MS}\n\n`)
  ctx.streams.add(res)
  const feed = (ctx.feed ??= new EventFeed(ctx.services.engine))
  const lastEventId = req.headers['last-event-id']
  const stop = feed.subscribe(
    (id, data) => {
      if (res.writableLength > STREAM_BACKLOG_LIMIT) return void res.destroy()
      res.write(`id: ${id}\ndata: ${data}\n\n`)
    },
    typeof lastEventId === 'string' ? lastEventId : undefined,
  )
  const heartbeat = setInterval(() => res.write(': ping\n\n'), ctx.heartbeatMs)
  const cleanup = (): void => {
    clearInterval(heartbeat)
    stop()
    ctx.streams.delete(res)
  }
  req.on('close', cleanup)
  res.on('close', cleanup)
}

const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream']

function decodeFileName(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined
  try {
    return decodeURIComponent(header)
  } catch {
    return undefined
  }
}

/** POST /api/uploads: a ZIP body becomes a file the server keeps; answers its path (a task source). */
export async function handleUpload(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (!ZIP_TYPES.includes(type)) {
    throw new HttpError(415, 'invalid_input', 'Uploads must be ZIP files (Content-Type application/zip).')
  }
  const limit = ctx.services.settings.get().zip.maxBytes
  const early = refuseEarly(req.headers['content-length'], limit)
  if (early) {
    refuseUnreadBody(req, res, early.status, early.toData())
    return
  }
  const path = await newUploadPath(ctx.uploadDir, decodeFileName(req.headers['x-file-name']))
  await receiveZip(req, path, limit)
  sendJson(res, 200, { ok: true, value: path })
}
