import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { HttpError } from './http-io'

/**
 * Who may talk to the server, and how.
 *
 * - Bound to loopback (the default) without a token: anyone on this machine. The Host header must name
 *   the loopback address or localhost with our port, so a page of another site that rebinds its DNS
 *   name to 127.0.0.1 is refused (DNS-rebinding defence).
 * - Bound to anything else: a token is required (one is generated when none is given). Requests carry
 *   `Authorization: Bearer <token>`, or the cookie set by visiting `/?token=…` once (HttpOnly,
 *   SameSite=Strict, so no other site's page ever sends it). A token given on loopback is required too.
 *
 * CSRF: a page of another site can make the browser send "simple" requests (form posts, no custom
 * headers) to us, and they carry the user's cookie-less loopback trust. So every state-changing request
 * must (1) carry `X-Codex-Sys: 1` — a custom header, which makes the browser ask first with a CORS
 * preflight that we never grant — and (2) if it has an Origin header, come from our own origin, and if it
 * has Sec-Fetch-Site, be same-origin or user-initiated. The one exception to (1) is the seed's multipart
 * `POST /api/task`, which plain HTML forms and curl must be able to use: it still needs (2), which a
 * cross-site form post never passes (browsers send Origin on every cross-origin POST), and the token
 * when one is set. Reads (GET) are protected by the same-origin policy: we send no CORS headers.
 */
export interface AccessPolicy {
  readonly token: string | undefined
  readonly loopback: boolean
  /** DNS-rebinding defence on loopback: throws unless the Host header names us. */
  checkHost(req: IncomingMessage): void
  /** Throws unless the request carries the token (when one is required). */
  checkAuth(req: IncomingMessage): void
  /** CSRF defence for state-changing requests (see above). */
  checkWrite(req: IncomingMessage, opts: { seedForm: boolean }): void
  /** The token given in `?token=…`, when it is right; throws when it is wrong. */
  tokenVisit(given: string): string
  cookieHeader(): string
}

export const CUSTOM_HEADER = 'x-codex-sys'
const COOKIE = 'codex_sys_token'

export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)

export const generateToken = (): string => randomBytes(24).toString('base64url')

const digest = (value: string): Buffer => createHash('sha256').update(value).digest()
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

const unauthorized = (): HttpError =>
  new HttpError(401, 'auth_failed', 'This server needs its access token.', {
    hint: 'Open the address `npm run serve` printed (it ends in ?token=…), or send Authorization: Bearer <token>.',
  })

const forbidden = (message: string): HttpError => new HttpError(403, 'invalid_input', message)

export function createAccessPolicy(opts: { host: string; port: () => number; token?: string }): AccessPolicy {
  const loopback = isLoopbackHost(opts.host)
  const token = opts.token
  const allowedHosts = (): Set<string> => {
    const port = opts.port()
    return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
  }

  const authorized = (req: IncomingMessage): boolean => {
    if (token === undefined) return true
    const auth = req.headers.authorization ?? ''
    if (auth.startsWith('Bearer ') && sameSecret(auth.slice('Bearer '.length).trim(), token)) return true
    const cookie = cookieValue(req, COOKIE)
    return cookie !== undefined && sameSecret(decodeURIComponent(cookie), token)
  }

  return {
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
    checkWrite(req, { seedForm }) {
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
      if (token === undefined || !sameSecret(given, token)) throw unauthorized()
      return token
    },
    cookieHeader() {
      const value = encodeURIComponent(token ?? '')
      return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict`
    },
  }
}
