import type http from 'node:http'
import type net from 'node:net'
import { pipeline } from 'node:stream'
import { BufferedCopy } from './buffered-copy'
import { normalizeHost } from './policy'
import { asRefusal, endWith } from './policy-proxy-answers'
import type { InFlight, Tracked } from './policy-proxy-pending'
import type { Router } from './policy-proxy-route'

/** The policy proxy's CONNECT path: a tunnel to a checked address, never decrypted. */

/** What the CONNECT path needs of the proxy. */
export interface TunnelContext {
  readonly router: Router
  readonly inFlight: InFlight
  readonly idleTimeoutMs: number
  /** True once the proxy is closing: no tunnel opens any more. */
  closed(): boolean
}

/**
 * Answers a CONNECT: decides and connects (policy-proxy-route.ts), says "200" and splices client and
 * target, or answers the refusal. Node's server has let go of `client`: the caller handles its errors.
 */
export async function openTunnel(
  ctx: TunnelContext,
  req: http.IncomingMessage,
  client: net.Socket,
  head: Buffer,
): Promise<void> {
  const dest = parseAuthority(req.url ?? '')
  if (!dest) return endWith(client, 400, 'CONNECT needs a host:port target')
  const entry = ctx.inFlight.track(dest.host, dest.port)
  try {
    const route = await ctx.router.prepare(dest.host, dest.port, 'CONNECT', true)
    if (!route.ok) return endWith(client, route.status, route.text)
    const downstream = route.upstream ? undefined : new Downstream(() => (entry.state = 'idle'))
    const { socket: target } = await ctx.router.open(dest.host, dest.port, route, downstream?.onread)
    entry.target = target
    if (client.destroyed || ctx.closed()) return void target.destroy()
    client.write('HTTP/1.1 200 Connection established\r\n\r\n')
    splice(ctx, entry, client, target, downstream)
    if (head.length) {
      entry.state = 'waiting'
      target.write(head)
    }
  } catch (err) {
    const r = asRefusal(err, dest.host, dest.port)
    endWith(client, r.status, r.text)
  } finally {
    if (!entry.target || entry.target.destroyed) ctx.inFlight.untrack(entry)
  }
}

/**
 * Copies both ways with backpressure, half-close and an idle timeout; tracks who spoke last for pending().
 * Target → client goes through `downstream` when the target was dialled directly, else a stream pipe.
 */
function splice(
  ctx: TunnelContext,
  entry: Tracked,
  client: net.Socket,
  target: net.Socket,
  downstream?: Downstream,
): void {
  entry.state = 'idle'
  entry.since = Date.now()
  const teardown = (): void => {
    client.destroy()
    target.destroy()
    ctx.inFlight.untrack(entry)
  }
  let ended = 0
  const finished = (err?: Error | null): void => {
    if (err || ++ended === 2) teardown()
  }
  pipeline(client, target, finished)
  if (downstream) {
    downstream.attach(target, client)
    target.once('end', () => client.end())
    target.once('error', teardown)
    client.once('finish', () => finished())
  } else {
    pipeline(target, client, finished)
    target.on('data', () => {
      entry.state = 'idle'
    })
  }
  client.on('data', () => {
    if (entry.state !== 'waiting') {
      entry.state = 'waiting'
      entry.since = Date.now()
    }
  })
  client.setTimeout(ctx.idleTimeoutMs, teardown)
  target.setTimeout(ctx.idleTimeoutMs, teardown)
}

/** The target → client direction of a direct tunnel, read into pooled buffers (buffered-copy.ts). */
class Downstream extends BufferedCopy {
  private sink: net.Socket | undefined
  private readonly early: Buffer[] = []

  constructor(private readonly onChunk: () => void) {
    super()
  }

  attach(source: net.Socket, sink: net.Socket): void {
    this.source = source
    this.sink = sink
    for (const data of this.early.splice(0)) this.send(sink, data)
    this.resumeIfRoom()
  }

  protected bytes(data: Buffer, owner?: Buffer): boolean {
    this.onChunk()
    if (this.sink) {
      this.send(this.sink, data, owner)
      return this.room()
    }
    // Bytes the target sent before the client heard "200" (an SSH banner): copied and held until then.
    this.early.push(Buffer.from(data))
    this.recycle(owner)
    return this.room(this.early.length)
  }
}

/** `host:port` or `[v6]:port`, the host normalized; undefined for anything else. */
function parseAuthority(target: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/?#[\]@]+)):(\d{1,5})$/.exec(target)
  const port = Number(m?.[3])
  if (!m || !(port >= 1 && port <= 65535)) return undefined
  return { host: normalizeHost(m[1] ?? m[2] ?? ''), port }
}
