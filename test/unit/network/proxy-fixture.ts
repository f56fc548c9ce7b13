import { mkdir } from 'node:fs/promises'
import { request } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import net from 'node:net'
import { join } from 'node:path'
import OpenAI from 'openai'
import { onTestFinished } from 'vitest'
import { createModelClient } from '../../../src/main/agent/model'
import type { AppError } from '../../../src/main/errors'
import { ModelProxy, newPlaceholder, type ModelUsage } from '../../../src/main/network/model-proxy'
import { PolicyProxy, type PolicyProxyOptions, type ProxyBlock } from '../../../src/main/network/policy-proxy'
import { resolvePolicy, type ResolvedPolicy } from '../../../src/main/network/policy'
import type { PhaseNetwork } from '../../../src/shared/network'
import type { RawResponse } from '../../support/http'
import { startModelServer, type ModelServer, type ScriptStep } from '../../support/model-server'
import { tempDir as testDir } from '../../support/tmp'
import { tempDir } from './proxy-helpers'

/** The proxies' test fixtures: a policy proxy (`startProxy`), a model proxy (`rig`), each on a unix socket. */

export interface Fixture {
  proxy: PolicyProxy
  socketPath: string
  blocks: ProxyBlock[]
  /** Every address the proxy dialled directly. */
  dials: string[]
  setPolicy: (phase: Partial<PhaseNetwork>) => void
  close: () => Promise<void>
}

export const custom = (hosts: string[], readOnly = false): PhaseNetwork => ({
  mode: 'custom',
  hosts,
  readOnly,
})

/**
 * A policy proxy on a unix socket in a temp dir. `names` is the resolver (a name → its addresses; other
 * names do not resolve); `trusted` the addresses let past the address check (our own 127.0.0.1 servers).
 * The dialler refuses anything but loopback, so a bug can never turn a test into a probe elsewhere.
 */
export async function startProxy(
  opts: {
    phase?: PhaseNetwork
    names?: Record<string, string[]>
    trusted?: string[]
  } & Partial<Omit<PolicyProxyOptions, 'socketPath' | 'policy' | 'onBlocked' | 'phase'>> = {},
): Promise<Fixture> {
  const { phase, names = {}, trusted, ...rest } = opts
  const { dir, remove } = await tempDir()
  const socketPath = join(dir, 'proxy.sock')
  const blocks: ProxyBlock[] = []
  const dials: string[] = []
  let policy: ResolvedPolicy = resolvePolicy(phase ?? custom([]), { registries: [], extraHosts: [] })
  const proxy = await PolicyProxy.listen({
    phase: 'setup',
    lookup: async (host) => {
      const list = names[host]
      if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
      return list.map((address) => ({ address, family: net.isIP(address) }))
    },
    trustAddress: trusted ? (ip) => trusted.includes(ip) : undefined,
    connect: (o) => {
      dials.push(`${o.host}:${o.port}`)
      if (o.host !== '127.0.0.1') throw new Error(`test guard: refusing to dial ${o.host}`)
      return net.connect(o)
    },
    upstream: null,
    ...rest,
    socketPath,
    policy: () => policy,
    onBlocked: (b) => blocks.push(b),
  })
  return {
    proxy,
    socketPath,
    blocks,
    dials,
    setPolicy: (phase) => {
      policy = resolvePolicy({ ...custom([]), ...phase }, { registries: [], extraHosts: [] })
    },
    close: async () => {
      await proxy.close()
      await remove()
    },
  }
}

export const REAL_KEY = 'sk-real-host-key-7d1e0c9b55aa4f3e90'

export interface Rig {
  server: ModelServer
  proxy: ModelProxy
  socketPath: string
  /** The openai client as the sandbox has it: the placeholder, through a TCP relay to the socket. */
  client: OpenAI
  clientWith(apiKey: string): OpenAI
  usage: ModelUsage[]
  exceeded: AppError[]
  /** Every byte the proxy sent back through the relay. */
  traffic: Buffer[]
  /** Opens another proxy on the same socket (the next task). */
  reopen(): Promise<ModelProxy>
}

/** A TCP listener on 127.0.0.1 piping each connection to the unix socket (the container's relay), recording the answers. */
async function relay(socketPath: string, traffic: Buffer[]): Promise<number> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((inner) => {
    const outer = net.connect(socketPath)
    outer.on('data', (chunk: Buffer) => traffic.push(chunk))
    for (const s of [inner, outer]) {
      sockets.add(s)
      s.on('error', () => undefined)
      s.on('close', () => {
        inner.destroy()
        outer.destroy()
      })
    }
    inner.pipe(outer)
    outer.pipe(inner)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as net.AddressInfo).port
}

/**
 * A model proxy on a unix socket in a temp dir, in front of a scripted model server that takes `REAL_KEY`,
 * with the sandbox's openai client through a TCP relay; closed when the test finishes.
 */
export async function rig(
  script: ScriptStep[],
  opts: {
    maxTokens?: number
    maxCostUsd?: number
    usedAlready?: { promptTokens: number; completionTokens: number; costUsd: number }
    serverKey?: string
    upstreamBaseUrl?: string
    upstreamAgent?: HttpsAgent
    model?: string
  } = {},
): Promise<Rig> {
  const server = await startModelServer(script, { apiKey: opts.serverKey ?? REAL_KEY })
  onTestFinished(() => server.close())
  const dir = await testDir('codex-model-proxy-')
  await mkdir(join(dir, 'net'), { recursive: true })
  const socketPath = join(dir, 'net', 'model.sock')
  const usage: ModelUsage[] = []
  const exceeded: AppError[] = []
  const totals = { promptTokens: 0, completionTokens: 0, costUsd: 0, ...opts.usedAlready }
  const open = (): Promise<ModelProxy> =>
    ModelProxy.listen({
      socketPath,
      upstreamBaseUrl: opts.upstreamBaseUrl ?? server.baseURL,
      apiKey: async () => REAL_KEY,
      placeholder: newPlaceholder(),
      model: opts.model,
      upstreamAgent: opts.upstreamAgent,
      budget: {
        maxTokens: opts.maxTokens ?? 1_000_000,
        maxCostUsd: opts.maxCostUsd ?? 100,
        usageSoFar: () => ({ ...totals }),
        onUsage: (u) => {
          usage.push(u)
          totals.promptTokens += u.promptTokens
          totals.completionTokens += u.completionTokens
          totals.costUsd += u.costUsd
        },
        onExceeded: (err) => exceeded.push(err),
      },
    })
  const proxies: ModelProxy[] = [await open()]
  onTestFinished(async () => {
    for (const p of proxies) await p.close()
  })
  const traffic: Buffer[] = []
  const port = await relay(socketPath, traffic)
  const clientWith = (apiKey: string): OpenAI =>
    createModelClient({ apiKey, baseURL: `http://127.0.0.1:${port}/v1`, timeoutMs: 15_000 })
  const r: Rig = {
    server,
    proxy: proxies[0]!,
    socketPath,
    client: clientWith(proxies[0]!.placeholder),
    clientWith,
    usage,
    exceeded,
    traffic,
    reopen: async () => {
      const next = await open()
      proxies.push(next)
      return next
    },
  }
  // Whatever a test did, the real key never went back to the sandbox or into an event.
  onTestFinished(() => {
    const seen = Buffer.concat(traffic).toString('latin1') + JSON.stringify([usage, exceeded])
    const errors = exceeded.map((e) => `${e.message} ${e.hint} ${JSON.stringify(e.details)}`).join('\n')
    if (seen.includes(REAL_KEY) || errors.includes(REAL_KEY))
      throw new Error('The real key reached the sandbox')
  })
  return r
}

/** A raw HTTP request straight to a proxy's socket, its target sent as written (origin- or absolute-form). */
export function socketRequest(
  socketPath: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers })
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      )
    })
    req.end(opts.body)
  })
}

export const ask = { model: 'gpt-4.1-mini', messages: [{ role: 'user' as const, content: 'Say hello' }] }

/** The API error a request failed with (anything else throws). */
export async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof OpenAI.APIError)) throw new Error(`Expected an API error, got ${String(err)}`)
  return err
}
