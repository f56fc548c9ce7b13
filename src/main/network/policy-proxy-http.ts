import type http from 'node:http'
import { OriginError, type OriginPool } from './origin-pool'
import { normalizeHost } from './policy'
import { asRefusal, gatewayStatus, Refusal, sendText } from './policy-proxy-answers'
import type { InFlight } from './policy-proxy-pending'
import type { Router } from './policy-proxy-route'

/** The policy proxy's plain-HTTP path: absolute-form `http://` requests, to pooled origin connections. */

/** What the plain-HTTP path needs of the proxy. */
export interface PlainHttpContext {
  readonly router: Router
  readonly inFlight: InFlight
  readonly origins: OriginPool
  /** True once the proxy is closing: no request is forwarded any more. */
  closed(): boolean
}

/** Decides and forwards one request (policy-proxy-route.ts, origin-pool.ts), or answers why not. */
export async function forwardRequest(
  ctx: PlainHttpContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = absoluteUrl(req.url ?? '')
  if (!url) {
    return sendText(
      res,
      400,
      'this is an HTTP proxy: send absolute-form requests (GET http://host/path) or CONNECT',
    )
  }
  if (url.protocol !== 'http:') {
    return sendText(res, 400, `${url.protocol}// requests are not proxied: use CONNECT for HTTPS`)
  }
  const host = normalizeHost(url.hostname)
  const port = url.port ? Number(url.port) : 80
  const entry = ctx.inFlight.track(host, port)
  res.once('close', () => ctx.inFlight.untrack(entry))
  try {
    const route = await ctx.router.prepare(host, port, req.method ?? 'GET', false)
    if (!route.ok) return sendText(res, route.status, route.text)
    if (res.destroyed || ctx.closed()) return void res.destroy()
    entry.state = 'waiting'
    entry.since = Date.now()
    // Pooled connections are told apart by address and port, and by the upstream they go through.
    const via = route.upstream ? `${route.upstream.url} ` : ''
    const keys = route.targets.map((t) => `${via}${t}:${port}`)
    await ctx.origins.forward(
      keys,
      async (onread) => {
        const { socket, address } = await ctx.router.open(host, port, route, onread)
        return { socket, readsViaOnread: !route.upstream, key: `${via}${address}:${port}` }
      },
      {
        req,
        res,
        path: `${url.pathname}${url.search}`,
        authority: url.host,
        onHead: () => ctx.inFlight.untrack(entry),
      },
    )
  } catch (err) {
    ctx.inFlight.untrack(entry)
    const r =
      err instanceof OriginError
        ? new Refusal(gatewayStatus(err.code), `${host}:${port} — ${err.message}`)
        : asRefusal(err, host, port)
    sendText(res, r.status, r.text)
  }
}

/** An absolute-form request target (`scheme://…`), or undefined for anything else. */
function absoluteUrl(raw: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return undefined
  try {
    return new URL(raw)
  } catch {
    return undefined
  }
}
