import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { AppError } from '../errors'
import { HttpError } from './http-io'

/**
 * Who may talk to the server, and how.
 *
 * - Always with the server's access token, on loopback too: every process of every user on this machine
 *   (and, on Docker Desktop, every container, through host.docker.internal) can connect to 127.0.0.1, so
 *   being local proves nothing. Requests carry `Authorization: Bearer <token>` (curl, scripts), or the
 *   cookie set by visiting `/?token=…` once (HttpOnly, SameSite=Strict, named after our port so two
 *   servers on one machine keep their own). The API never takes the token in its address: an address
 *   ends up in logs, shell history and the browser's history, so `/api/…?token=` is refused outright
 *   (only the page visit takes it, and answers with a redirect that drops it from the address bar).
 * - The one opt-out is explicit (`token: null`, the CLI's `--no-token`), and only on loopback: then every
 *   process and every user of this machine can use the server.
 * - On loopback the Host header must name the loopback address or localhost with our port, so a page of
 *   another site that rebinds its DNS name to 127.0.0.1 is refused (DNS-rebinding defence).
 *
 * CSRF: a page of another site can make the browser send "simple" requests (form posts, no custom
 * headers) to us, and with SameSite=Strict cookies a page of another port of 127.0.0.1 (same site, other
 * origin) would still send our cookie. So every state-changing request must (1) carry `X-Codex-Sys: 1` — a
 * custom header, which makes the browser ask first with a CORS preflight that we never grant — and (2) if
 * it has an Origin header, come from our own origin, and if it has Sec-Fetch-Site, be same-origin or
 * user-initiated. The one exception to (1) is the seed's multipart `POST /api/task`, which plain HTML
 * forms and curl must be able to use: it still needs (2), which a cross-site form post never passes
 * (browsers send Origin on every cross-origin POST), and the token. Reads (GET) are protected by the
 * same-origin policy: we send no CORS headers, and Cross-Origin-Resource-Policy: same-origin.
 *
 * Cross-origin pages, by explicit opt-in only (`allowOrigins`, the CLI's `--allow-origin`): the seed's own
 * page, served from another origin, calls the seed API (POST /api/task, GET /api/task/{id}/status,
 * GET /api/logs/{id}/{file}) with plain fetch. Exactly the listed origins get CORS headers on those routes
 * (and their preflights), and their seed form posts pass (2); nothing else changes for them (every other
 * route answers them as it answers every other site) nor for other origins. They still need the token unless the
 * server needs none (`--no-token`), in the Authorization header: our cookie is never taken from them
 * (a same-site page could make the browser attach it) and credentials are never allowed cross-origin.
 */
export interface AccessPolicy {
  /** The token requests need; null only when the server was told explicitly to need none. */
  readonly token: string | null
  readonly loopback: boolean
  /** DNS-rebinding defence on loopback: throws unless the Host header names us. */
  checkHost(req: IncomingMessage): void
  /** Throws unless the request carries the token (when one is required). */
  checkAuth(req: IncomingMessage): void
  /** An API call: refuses a token in the address, then checks the token like `checkAuth`. */
  checkApiAuth(req: IncomingMessage, query: URLSearchParams): void
  /** CSRF defence for state-changing requests (see above). */
  checkWrite(req: IncomingMessage, opts: { seedForm: boolean }): void
  /** The token given in `?token=…`, when it is right; throws when it is wrong. */
  tokenVisit(given: string): string
  cookieHeader(): string
  /** The request's Origin when it is one of the explicitly allowed ones, else undefined. */
  allowedOrigin(req: IncomingMessage): string | undefined
}

export const CUSTOM_HEADER = 'x-codex-sys'
const COOKIE_PREFIX = 'codex_sys_token'
const MIN_TOKEN_LENGTH = 16
const MAX_TOKEN_LENGTH = 512

export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)

export const generateToken = (): string => randomBytes(24).toString('base64url')

/** Throws unless `token` is usable: 16 to 512 visible ASCII characters (it goes in headers and URLs). */
export function checkTokenShape(token: string): void {
  if (token.length < MIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token)) {
    throw new AppError(
      'invalid_input',
      `The access token must be ${MIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} visible ASCII characters (no spaces).`,
      { hint: 'Leave it out and the server generates one.' },
    )
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function decoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

const unauthorized = (): HttpError =>
  new HttpError(401, 'auth_failed', 'This server needs its access token.', {
    hint:
      'Open the address `npm run serve` printed (it ends in ?token=…), or send ' +
      'Authorization: Bearer <token> (the token is in server-token in the data directory).',
  })

const forbidden = (message: string): HttpError => new HttpError(403, 'invalid_input', message)

/**
 * `token` is required: a string, or null to need none (loopback only; anything else throws).
 * `port` is read lazily: the policy is made before the server knows the port it got.
 */
export function createAccessPolicy(opts: {
  host: string
  port: () => number
  token: string | null
  /** Origins (scheme://host[:port]) whose pages may call the seed API; see above. */
  allowOrigins?: readonly string[]
}): AccessPolicy {
  const origins = new Set((opts.allowOrigins ?? []).map(normalizeOrigin))
  const loopback = isLoopbackHost(opts.host)
  const token = opts.token
  if (token === null && !loopback) {
    throw new AppError('invalid_input', `A server bound to ${opts.host} must require its access token.`, {
      hint: 'Serving without a token is allowed on loopback (127.0.0.1) only.',
    })
  }
  if (token !== null) checkTokenShape(token)
  const cookieName = (): string => `${COOKIE_PREFIX}_${opts.port()}`
  const allowedHosts = (): Set<string> => {
    const port = opts.port()
    return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
  }

  const authorized = (req: IncomingMessage): boolean => {
    if (token === null) return true
    const auth = req.headers.authorization ?? ''
    if (/^Bearer /i.test(auth) && sameSecret(auth.slice('Bearer '.length).trim(), token)) return true
    // A listed origin's page is another site's code: our cookie (which the browser would attach for a
    // same-site page asking for credentials) is never its credential; it sends the token itself.
    if (origins.has(req.headers.origin ?? '')) return false
    const cookie = cookieValue(req, cookieName())
    const value = cookie === undefined ? undefined : decoded(cookie)
    return value !== undefined && sameSecret(value, token)
  }

  const policy: AccessPolicy = {
    token,
    loopback,
    checkHost(req) {
      if (!loopback) return
      const host = (req.headers.host ?? '').toLowerCase()
      if (!allowedHosts().has(host)) {
        throw forbidden(`Requests must be addressed to 127.0.0.1 or localhost on port ${opts.port()}.`)
      }
    },
    checkAuth(req) {
      if (!authorized(req)) throw unauthorized()
    },
    checkApiAuth(req, query) {
      if (query.has('token')) {
        throw new HttpError(400, 'invalid_input', 'API calls never take the access token in the address.', {
          hint:
            'Send it as Authorization: Bearer <token> instead (addresses end up in logs and histories); ' +
            'only the page at /?token=… takes it, to set its cookie.',
        })
      }
      policy.checkAuth(req)
    },
    checkWrite(req, { seedForm }) {
      if (seedForm && policy.allowedOrigin(req) !== undefined) return
      const origin = req.headers.origin
      if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
        throw forbidden('Requests from other sites are refused.')
      }
      const site = req.headers['sec-fetch-site']
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw forbidden('Requests from other sites are refused.')
      }
      if (req.headers[CUSTOM_HEADER] !== '1' && !seedForm) {
        throw forbidden(`State-changing requests need the header ${CUSTOM_HEADER}: 1.`)
      }
    },
    tokenVisit(given) {
      if (token === null || !sameSecret(given, token)) throw unauthorized()
      return token
    },
    cookieHeader() {
      return `${cookieName()}=${encodeURIComponent(token ?? '')}; Path=/; HttpOnly; SameSite=Strict`
    },
    allowedOrigin(req) {
      const origin = req.headers.origin
      return origin !== undefined && origins.has(origin) ? origin : undefined
    },
  }
  return policy
}

/**
 * An origin as browsers send it: `http://` or `https://`, a host, an optional port, nothing else (no path,
 * no credentials, no `*`, no `null`). Throws with what is wrong otherwise.
 */
export function normalizeOrigin(text: string): string {
  const bad = (): AppError =>
    new AppError('invalid_input', `${JSON.stringify(text.slice(0, 200))} is not an origin.`, {
      hint: 'Give scheme, host and port as the page is served, e.g. http://localhost:8000.',
    })
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw bad()
  }
  const plain = !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash
  if (!['http:', 'https:'].includes(url.protocol) || !plain || /[?#]/.test(text)) throw bad()
  return url.origin
}
