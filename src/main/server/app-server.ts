import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHandlers } from '../engine/handlers'
import { toErrorData } from '../errors'
import type { Services } from '../services'
import { AppError } from '../errors'
import { createAccessPolicy, generateToken, isLoopbackHost, type AccessPolicy } from './access'
import { handleCall, handleEvents, handleUpload, type ServerContext } from './api-routes'
import { EventFeed } from './event-feed'
import {
  HttpError,
  rawSegments,
  refuseUnreadBody,
  sendError,
  setCommonHeaders,
  statusForError,
} from './http-io'
import { SeedAutoPr } from './seed-auto-pr'
import { SeedProgressTracker } from './seed-progress'
import { handleSeedLog, handleSeedStatus, handleSeedSubmit } from './seed-routes'
import { defaultRendererDir, StaticFiles } from './static-files'
import { watchUploads } from './upload-janitor'

export interface AppServerOptions {
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host: string
  /** 0 picks a free port (tests). */
  port: number
  /** The access token every request needs; generated (and returned) when not given. */
  token?: string
  /**
   * Serve without a token: every process and every user of this machine can then use the server. Only
   * when said explicitly, and only on loopback (anything else is refused).
   */
  noToken?: boolean
  /** The built renderer; out/renderer by default. */
  rendererDir?: string
  /** Where uploaded ZIPs are kept until their task has imported them. */
  uploadDir: string
  /**
   * Origins (scheme://host[:port]) whose pages may call the seed API (POST /api/task, its status and logs)
   * with CORS: the seed's own page served from elsewhere. Nothing else is opened to them (access.ts).
   */
  allowOrigins?: readonly string[]
  /** Interval of the event stream's heartbeat comment (15 s). */
  heartbeatMs?: number
  /** A request body that stops arriving for this long is answered 408 and its connection closed (60 s). */
  bodyIdleMs?: number
}

export interface AppServer {
  /** The address to open, e.g. http://127.0.0.1:8080 (no trailing slash, no token). */
  url: string
  /** The token requests need; undefined only when started with `noToken: true`. */
  token: string | undefined
  close(): Promise<void>
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

/**
 * The headless server: the contract over HTTP JSON (POST /api/call/<name>), engine events over SSE
 * (GET /api/events), ZIP uploads (POST /api/uploads), the seed's REST calls, and the built renderer.
 * See access.ts for who may call it. node:http only.
 */
export async function createAppServer(services: Services, opts: AppServerOptions): Promise<AppServer> {
  const token = chooseToken(opts)
  let port = opts.port
  const access = createAccessPolicy({
    host: opts.host,
    port: () => port,
    token,
    allowOrigins: opts.allowOrigins,
  })
  const ctx: ServerContext = {
    services,
    handlers: createHandlers(services),
    uploadDir: opts.uploadDir,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
    streams: new Set(),
    feed: new EventFeed(services.engine),
    seed: {
      autoPr: new SeedAutoPr(services.engine, services.settings),
      progress: new SeedProgressTracker(services.engine),
    },
  }
  const files = await StaticFiles.open(opts.rendererDir ?? defaultRendererDir())
  const stopJanitor = watchUploads(services.engine, opts.uploadDir)

  const bodyIdleMs = opts.bodyIdleMs ?? 60_000
  // requestTimeout bounds a whole request (a large ZIP upload may take long); the body watchdog ends one
  // whose body stops arriving (slowloris) long before that.
  const server = createServer({ requestTimeout: 3600_000, headersTimeout: 60_000 }, (req, res) => {
    setCommonHeaders(res)
    watchBody(req, res, bodyIdleMs)
    Promise.resolve()
      .then(() => dispatch(req, res, { access, ctx, files }))
      .catch((err: unknown) => {
        const error = toErrorData(err)
        const status = err instanceof HttpError ? err.status : statusForError(error)
        if (res.headersSent) res.destroy()
        // Too large: the rest of the body is not read at the client's pace; the connection ends with
        // the answer.
        else if (status === 413 && !req.complete) refuseUnreadBody(req, res, status, error)
        else sendError(res, status, error)
      })
  })
  const closeSeed = (): void => {
    ctx.feed?.close()
    ctx.seed.autoPr.close()
    ctx.seed.progress.close()
  }
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => {
      closeSeed()
      reject(err)
    }
    server.once('error', failed)
    server.listen(opts.port, opts.host, () => {
      server.off('error', failed)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`

  return {
    url,
    token: token ?? undefined,
    close: async () => {
      stopJanitor()
      closeSeed()
      for (const stream of ctx.streams) stream.end()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        setTimeout(() => server.closeAllConnections(), 2000).unref()
      })
    },
  }
}

function chooseToken(opts: AppServerOptions): string | null {
  if (opts.noToken !== true) return opts.token ?? generateToken()
  if (opts.token !== undefined) {
    throw new AppError('invalid_input', 'Give the server a token or tell it to need none, not both.')
  }
  if (!isLoopbackHost(opts.host)) {
    throw new AppError('invalid_input', `A server bound to ${opts.host} must require its access token.`, {
      hint: 'Serving without a token is allowed on loopback (127.0.0.1) only.',
    })
  }
  return null
}

/**
 * Slow bodies: a request whose body stops arriving (nothing new on the socket, nothing waiting to be
 * read by us) for `idleMs` is answered 408 and its connection closed. A body we are slow to read
 * (backpressure) is not the client's fault and never times out here.
 */
function watchBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  const length = req.headers['content-length']
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) return
  const socket = req.socket
  let seen = socket.bytesRead
  let lastProgress = Date.now()
  const timer = setInterval(
    () => {
      if (req.complete || socket.destroyed) return stop()
      if (socket.bytesRead !== seen || req.readableLength > 0) {
        seen = socket.bytesRead
        lastProgress = Date.now()
        return
      }
      if (Date.now() - lastProgress < idleMs) return
      stop()
      // The answer goes with `connection: close`, so Node ends the connection once it is sent, and the
      // handler waiting for the rest of the body sees it end. Already answered: just end it.
      if (res.headersSent) return void socket.destroy()
      const seconds = Math.round(idleMs / 1000)
      sendError(
        res,
        408,
        { kind: 'invalid_input', message: `The request body stopped arriving (nothing for ${seconds} s).` },
        { connection: 'close' },
      )
    },
    Math.max(10, Math.min(1000, Math.floor(idleMs / 4))),
  )
  timer.unref()
  function stop(): void {
    clearInterval(timer)
    // The socket outlives the request (keep-alive): leave no listener of ours on it.
    socket.off('close', stop)
  }
  req.once('end', stop)
  req.once('close', stop)
  socket.once('close', stop)
}

function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { access: AccessPolicy; ctx: ServerContext; files: StaticFiles },
): Promise<void> | void {
  const { access, ctx, files } = deps
  access.checkHost(req)
  const target = rawSegments(req)
  if (!target) throw new HttpError(400, 'invalid_input', 'The address is malformed.')
  const { segments, query } = target
  const method = req.method ?? 'GET'
  const read = method === 'GET' || method === 'HEAD'

  if (segments[0] !== 'api') {
    if (!read) throw new HttpError(405, 'invalid_input', `${method} is not allowed here.`)
    const given = query.get('token')
    if (given !== null && access.token !== null) {
      access.tokenVisit(given)
      res.writeHead(303, { location: '/', 'set-cookie': access.cookieHeader(), 'cache-control': 'no-store' })
      return void res.end()
    }
    access.checkAuth(req)
    return files.serve(req, res, `/${segments.join('/')}`)
  }

  const seedMethods = seedRouteMethods(segments.slice(1))
  const corsOrigin = seedMethods ? access.allowedOrigin(req) : undefined
  if (corsOrigin && seedMethods) {
    res.setHeader('access-control-allow-origin', corsOrigin)
    res.setHeader('vary', 'Origin')
    if (method === 'OPTIONS') return preflight(req, res, seedMethods)
  }
  access.checkApiAuth(req, query)
  const route = apiRoute(segments.slice(1), method, ctx, access)
  if (!route) throw new HttpError(404, 'not_found', 'There is no such API route.')
  return route(req, res)
}

/** The methods of a seed API route (the path after /api/), or undefined when it is not one. */
function seedRouteMethods(path: string[]): readonly string[] | undefined {
  const [a, b, c, ...rest] = path
  if (a === 'task' && b === undefined) return ['POST']
  if (a === 'task' && b !== undefined && c === 'status' && rest.length === 0) return ['GET', 'HEAD']
  if (a === 'logs' && b !== undefined && c !== undefined && rest.length === 0) return ['GET', 'HEAD']
  return undefined
}

/**
 * A CORS preflight from an allowed origin to a seed route: its methods, and the Authorization header (the
 * token, for a server that needs one). No credentials: our cookie never goes cross-origin.
 */
function preflight(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): void {
  const wanted = String(req.headers['access-control-request-method'] ?? '')
  if (!methods.includes(wanted)) {
    throw new HttpError(405, 'invalid_input', `${wanted || 'That method'} is not allowed here.`)
  }
  res.writeHead(204, {
    'access-control-allow-methods': methods.join(', '),
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
    'cache-control': 'no-store',
  })
  res.end()
}

function apiRoute(
  path: string[],
  method: string,
  ctx: ServerContext,
  access: AccessPolicy,
): Route | undefined {
  const [a, b, c, ...rest] = path
  const write = (seedForm: boolean, route: Route): Route => {
    return (req, res) => {
      access.checkWrite(req, { seedForm })
      return route(req, res)
    }
  }
  const read = method === 'GET' || method === 'HEAD'
  if (method === 'POST' && a === 'call' && b !== undefined && c === undefined) {
    return write(false, (req, res) => handleCall(ctx, req, res, b))
  }
  if (method === 'GET' && a === 'events' && b === undefined) return (req, res) => handleEvents(ctx, req, res)
  if (method === 'POST' && a === 'uploads' && b === undefined) {
    return write(false, (req, res) => handleUpload(ctx, req, res))
  }
  if (method === 'POST' && a === 'task' && b === undefined) {
    return write(true, (req, res) => handleSeedSubmit(ctx, req, res))
  }
  if (read && a === 'task' && b !== undefined && c === 'status' && rest.length === 0) {
    return (_req, res) => handleSeedStatus(ctx, res, b)
  }
  if (read && a === 'logs' && b !== undefined && c !== undefined && rest.length === 0) {
    return (req, res) => handleSeedLog(ctx, req, res, b, c)
  }
  return undefined
}
