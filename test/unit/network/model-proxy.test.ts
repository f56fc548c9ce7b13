import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { createServer as createHttpServer, request } from 'node:http'
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import OpenAI from 'openai'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createModelClient, estimateCostUsd } from '../../../src/main/agent/model'
import type { AppError } from '../../../src/main/errors'
import {
  MAX_REQUEST_BYTES,
  ModelProxy,
  newPlaceholder,
  type ModelUsage,
} from '../../../src/main/network/model-proxy'
import { startModelServer, type ModelServer, type ScriptStep } from '../../support/model-server'
import { tempDir } from '../../support/tmp'

const REAL_KEY = 'sk-real-host-key-7d1e0c9b55aa4f3e90'

interface Rig {
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
  const sockets = new Set<Socket>()
  const server = createServer((inner) => {
    const outer = connect(socketPath)
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
  return (server.address() as AddressInfo).port
}

async function rig(
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
  const dir = await tempDir('codex-model-proxy-')
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

interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTP request straight to the proxy's socket. */
function raw(
  socketPath: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawAnswer> {
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

const ask = { model: 'gpt-4.1-mini', messages: [{ role: 'user' as const, content: 'Say hello' }] }

async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(err instanceof OpenAI.APIError)) throw new Error(`Expected an API error, got ${String(err)}`)
  return err
}

describe('model proxy: credentials and routes', () => {
  it('forwards a placeholder request upstream with the real key and strips credential headers', async () => {
    const r = await rig([
      { text: 'Hello from upstream', usage: { prompt_tokens: 120, completion_tokens: 30 } },
    ])
    expect(r.proxy.placeholder).toMatch(/^sk-codex-sandbox-[A-Za-z0-9_-]{32}$/)
    const answer = await r.client.chat.completions.create(ask, {
      headers: {
        'OpenAI-Organization': 'org-sandbox',
        'OpenAI-Project': 'proj-sandbox',
        'api-key': 'sandbox-guess',
        Cookie: 'session=1',
        'X-Trace-Id': 'kept',
      },
    })
    expect(answer.choices[0]!.message.content).toBe('Hello from upstream')
    const seen = r.server.requests[0]!.headers
    expect(seen.authorization).toBe(`Bearer ${REAL_KEY}`)
    expect([seen['openai-organization'], seen['openai-project'], seen['api-key'], seen.cookie]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    expect(seen['x-trace-id']).toBe('kept')
    expect(r.usage).toEqual([
      {
        promptTokens: 120,
        completionTokens: 30,
        costUsd: estimateCostUsd('gpt-4.1-mini', { prompt_tokens: 120, completion_tokens: 30 }),
        model: 'gpt-4.1-mini',
        api: 'chat',
        estimated: false,
      },
    ])
    const models = await r.client.models.list()
    expect(models.data.map((m) => m.id)).toEqual(['test-model'])
    expect((await r.client.models.retrieve('test-model')).id).toBe('test-model')
    expect(r.usage).toHaveLength(1)
  })

  it('refuses a wrong, missing or real key without forwarding anything', async () => {
    const r = await rig([])
    for (const key of [
      'sk-wrong-key-123456',
      REAL_KEY,
      `${r.proxy.placeholder}x`,
      r.proxy.placeholder.slice(0, -1),
    ]) {
      const err = await failure(r.clientWith(key).chat.completions.create(ask))
      expect([err.status, err.code]).toEqual([401, 'invalid_api_key'])
      expect(err.message).not.toContain(key)
    }
    const body = JSON.stringify(ask)
    const p = r.proxy.placeholder
    const attempts: Array<Record<string, string>> = [
      {},
      { 'api-key': p },
      { authorization: `bearer ${p}` },
      { authorization: `Bearer  ${p}` },
      { authorization: `Basic ${p}` },
      { authorization: p },
    ]
    for (const headers of attempts) {
      const res = await raw(r.socketPath, {
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      })
      expect(res.status).toBe(401)
      expect(JSON.parse(res.body).error.code).toBe('invalid_api_key')
    }
    expect(r.server.hits).toEqual([])
  })

  it('refuses every other path and method with an OpenAI-shaped 404', async () => {
    const r = await rig([])
    const err = await failure(r.client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }))
    expect([err.status, err.code]).toEqual([404, 'unknown_url'])
    const auth = { authorization: `Bearer ${r.proxy.placeholder}` }
    const attempts: Array<[string, string]> = [
      ['GET', '/v1/chat/completions'],
      ['POST', '/v1/models'],
      ['DELETE', '/v1/models/test-model'],
      ['GET', '/v1/responses/resp_1'],
      ['POST', '/v1/responses/resp_1/cancel'],
      ['POST', '/v2/chat/completions'],
      ['POST', '/chat/completions'],
      ['POST', '/v1/chat/completions/'],
      ['POST', '/v1//chat/completions'],
      ['POST', '/v1/files'],
      ['GET', '/v1/models/../files'],
      ['GET', '/v1/models/%2e%2e'],
      ['GET', '/v1/models/a/b'],
      ['POST', '/v1/chat/%63ompletions'],
      ['POST', 'http://127.0.0.1:1/v1/chat/completions'],
      ['GET', '/'],
    ]
    for (const [method, path] of attempts) {
      const res = await raw(r.socketPath, { method, path, headers: auth })
      expect([method, path, res.status]).toEqual([method, path, 404])
      const error = JSON.parse(res.body).error
      expect([error.type, error.code]).toEqual(['invalid_request_error', 'unknown_url'])
    }
    expect(r.server.hits).toEqual([])
  })
})

describe('model proxy: streaming and usage', () => {
  it('streams chat chunks as they arrive and counts the usage chunk', async () => {
    const r = await rig([
      { text: 'one two three four', chunkDelayMs: 150, usage: { prompt_tokens: 210, completion_tokens: 4 } },
    ])
    const stream = await r.client.chat.completions.create({
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let firstBeforeServerDone: boolean | undefined
    let usage: OpenAI.CompletionUsage | undefined
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content
      if (piece && firstBeforeServerDone === undefined) {
        firstBeforeServerDone = r.server.requests[0]!.finishedAt === undefined
      }
      text += piece ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(firstBeforeServerDone).toBe(true)
    expect(text).toBe('one two three four')
    expect(usage).toMatchObject({ prompt_tokens: 210, completion_tokens: 4 })
    expect(r.usage).toMatchObject([{ promptTokens: 210, completionTokens: 4, api: 'chat', estimated: false }])
  })

  it('asks for the usage of a streamed chat the client did not, and keeps that chunk from the client', async () => {
    const r = await rig([
      { text: 'a b c', chunkDelayMs: 120, usage: { prompt_tokens: 50, completion_tokens: 3 } },
    ])
    const stream = await r.client.chat.completions.create({ ...ask, stream: true })
    const chunks: OpenAI.ChatCompletionChunk[] = []
    let firstBeforeServerDone: boolean | undefined
    for await (const chunk of stream) {
      firstBeforeServerDone ??= r.server.requests[0]!.finishedAt === undefined
      chunks.push(chunk)
    }
    expect(firstBeforeServerDone).toBe(true)
    expect(r.server.requests[0]!.body.stream_options).toEqual({ include_usage: true })
    expect(chunks.length).toBeGreaterThan(3)
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true)
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? '').join('')).toBe('a b c')
    expect(r.usage).toMatchObject([{ promptTokens: 50, completionTokens: 3 }])
  })

  it('streams Responses API events as they arrive and counts response.completed', async () => {
    const r = await rig([
      { text: 'Hi there friend', chunkDelayMs: 120, usage: { prompt_tokens: 300, completion_tokens: 7 } },
      { text: 'Plain', usage: { prompt_tokens: 40, completion_tokens: 1 } },
    ])
    const stream = await r.client.responses.create({ model: 'gpt-5-mini', input: 'Say hi', stream: true })
    let text = ''
    let firstBeforeServerDone: boolean | undefined
    let completed: OpenAI.Responses.Response | undefined
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') {
        firstBeforeServerDone ??= r.server.requests[0]!.finishedAt === undefined
        text += event.delta
      }
      if (event.type === 'response.completed') completed = event.response
    }
    expect(firstBeforeServerDone).toBe(true)
    expect(text).toBe('Hi there friend')
    expect(completed?.usage).toMatchObject({ input_tokens: 300, output_tokens: 7 })
    expect(r.server.requests[0]!.path).toBe('/v1/responses')

    const plain = await r.client.responses.create({ model: 'gpt-5-mini', input: 'Again' })
    expect(plain.output_text).toBe('Plain')
    expect(r.usage).toEqual([
      {
        promptTokens: 300,
        completionTokens: 7,
        costUsd: estimateCostUsd('gpt-5-mini', { prompt_tokens: 300, completion_tokens: 7 }),
        model: 'gpt-5-mini',
        api: 'responses',
        estimated: false,
      },
      expect.objectContaining({ promptTokens: 40, completionTokens: 1, api: 'responses' }),
    ])
  })

  it('estimates the usage of an answer that reports none, at the task model’s price', async () => {
    const r = await rig([{ text: 'No usage here', omitUsage: true }], { model: 'gpt-4.1' })
    await r.client.chat.completions.create(ask)
    expect(r.usage).toHaveLength(1)
    expect(r.usage[0]).toMatchObject({ api: 'chat', estimated: true, model: 'gpt-4.1-mini' })
    expect(r.usage[0]!.promptTokens).toBeGreaterThan(10)
    expect(r.usage[0]!.completionTokens).toBeGreaterThan(10)
  })

  it('aborts the upstream when the client leaves mid-stream, and still bills it', async () => {
    const r = await rig([
      { text: 'w '.repeat(40), chunkDelayMs: 100, usage: { prompt_tokens: 10, completion_tokens: 10 } },
    ])
    const stream = await r.client.responses.create({ model: 'gpt-5-mini', input: 'Talk', stream: true })
    for await (const event of stream) if (event.type === 'response.output_text.delta') break
    await expect.poll(() => r.server.requests[0]!.finishedAt, { timeout: 3000 }).toBeDefined()
    await expect.poll(() => r.usage.length, { timeout: 3000 }).toBe(1)
    expect(r.usage[0]).toMatchObject({ api: 'responses', estimated: true })
  })
})

describe('model proxy: budget', () => {
  it('lets a streamed answer that crosses the token budget finish, then ends the task once and refuses the rest', async () => {
    const r = await rig(
      [
        { text: 'first', usage: { prompt_tokens: 300, completion_tokens: 100 } },
        {
          text: 'second answer streams',
          chunkDelayMs: 50,
          usage: { prompt_tokens: 500, completion_tokens: 200 },
        },
        { text: 'never sent' },
      ],
      { maxTokens: 1000 },
    )
    await r.client.chat.completions.create(ask)
    expect(r.exceeded).toEqual([])
    const stream = await r.client.chat.completions.create({ ...ask, stream: true })
    let text = ''
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      expect(r.exceeded).toEqual([])
    }
    expect(text).toBe('second answer streams')
    await expect.poll(() => r.exceeded.length).toBe(1)
    expect(r.exceeded[0]!.kind).toBe('budget_exceeded')
    expect(r.exceeded[0]!.message).toBe('Token limit reached: 1,100 of 1,000 tokens used')
    expect(r.exceeded[0]!.hint).toBeTruthy()

    const refused = await failure(r.client.chat.completions.create(ask))
    expect([refused.status, refused.code, refused.type]).toEqual([
      429,
      'insufficient_quota',
      'insufficient_quota',
    ])
    expect(refused.message).toContain('Token limit reached')
    const alsoRefused = await failure(
      r.client.responses.create({ model: 'gpt-5-mini', input: 'x', stream: true }),
    )
    expect(alsoRefused.status).toBe(429)
    expect(r.server.requests).toHaveLength(2)
    expect(r.exceeded).toHaveLength(1)
  })

  it('refuses before forwarding when the cost budget is already spent', async () => {
    const r = await rig([{ text: 'never' }], {
      maxCostUsd: 0.5,
      usedAlready: { promptTokens: 10, completionTokens: 10, costUsd: 0.5 },
    })
    const refused = await failure(r.client.chat.completions.create(ask))
    expect([refused.status, refused.code]).toEqual([429, 'insufficient_quota'])
    expect(r.exceeded.map((e) => e.message)).toEqual(['Cost limit reached: $0.5000 of $0.5000 spent'])
    await failure(r.client.chat.completions.create(ask))
    expect(r.exceeded).toHaveLength(1)
    expect(r.server.hits).toEqual([])
  })
})

describe('model proxy: lifetime', () => {
  it('after close the socket is gone and the placeholder dead; the next proxy has its own', async () => {
    const r = await rig([{ text: 'one' }, { text: 'two' }])
    await r.client.chat.completions.create(ask)
    expect(statSync(r.socketPath).mode & 0o777).toBe(0o666)
    await r.proxy.close()
    expect(existsSync(r.socketPath)).toBe(false)
    const gone = await r.client.chat.completions.create(ask).then(
      () => null,
      (e: unknown) => e,
    )
    expect(gone).toBeInstanceOf(OpenAI.APIConnectionError)

    const next = await r.reopen()
    expect(next.placeholder).not.toBe(r.proxy.placeholder)
    const old = await failure(r.client.chat.completions.create(ask))
    expect(old.status).toBe(401)
    const fresh = await r.clientWith(next.placeholder).chat.completions.create(ask)
    expect(fresh.choices[0]!.message.content).toBe('two')
    expect(r.server.requests).toHaveLength(2)
  })

  it('close() ends a stream in flight', async () => {
    const r = await rig([{ text: 'x '.repeat(50), chunkDelayMs: 100 }])
    const stream = await r.client.chat.completions.create({ ...ask, stream: true })
    const started = Date.now()
    const reading = (async () => {
      let n = 0
      for await (const _chunk of stream) if (++n === 2) void r.proxy.close()
      return n
    })().catch((e: unknown) => e)
    const outcome = await reading
    expect(Date.now() - started).toBeLessThan(3000)
    expect(outcome).toBeInstanceOf(Error)
    await expect.poll(() => r.server.requests[0]!.finishedAt, { timeout: 3000 }).toBeDefined()
    expect(existsSync(r.socketPath)).toBe(false)
  })

  it('replaces a stale socket file and refuses a directory in its place', async () => {
    const dir = await tempDir('codex-model-proxy-')
    const socketPath = join(dir, 'model.sock')
    await writeFile(socketPath, 'stale')
    const budget = {
      maxTokens: 10,
      maxCostUsd: 1,
      usageSoFar: () => ({ promptTokens: 0, completionTokens: 0, costUsd: 0 }),
      onUsage: () => undefined,
      onExceeded: () => undefined,
    }
    const base = { upstreamBaseUrl: 'http://127.0.0.1:9/v1', apiKey: async () => REAL_KEY, budget }
    const proxy = await ModelProxy.listen({ ...base, socketPath, placeholder: newPlaceholder() })
    expect(statSync(socketPath).isSocket()).toBe(true)
    await proxy.close()
    await mkdir(socketPath)
    await expect(
      ModelProxy.listen({ ...base, socketPath, placeholder: newPlaceholder() }),
    ).rejects.toMatchObject({
      kind: 'invalid_input',
    })
    await expect(
      ModelProxy.listen({ ...base, socketPath: join(dir, 'b.sock'), placeholder: 'short' }),
    ).rejects.toMatchObject({ kind: 'invalid_input' })
    await expect(
      ModelProxy.listen({
        ...base,
        upstreamBaseUrl: `https://user:${REAL_KEY}@api.example.invalid/v1`,
        socketPath: join(dir, 'c.sock'),
        placeholder: newPlaceholder(),
      }),
    ).rejects.toMatchObject({ kind: 'invalid_input', message: expect.not.stringContaining(REAL_KEY) })
    expect(new Set([newPlaceholder(), newPlaceholder(), newPlaceholder()]).size).toBe(3)
  })
})

describe('model proxy: upstream failures and limits', () => {
  it('passes upstream errors through with their status, with the key redacted', async () => {
    const r = await rig(
      [
        { status: 400, error: { message: 'Invalid value for temperature', code: 'invalid_value' } },
        { status: 500, error: { message: 'The server had an error', type: 'server_error' } },
        {
          status: 429,
          error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' },
          headers: { 'retry-after': '1' },
        },
      ],
      { serverKey: undefined },
    )
    const bad = await failure(r.client.chat.completions.create(ask))
    expect([bad.status, bad.code]).toEqual([400, 'invalid_value'])
    expect(bad.message).toContain('Invalid value for temperature')
    expect((await failure(r.client.chat.completions.create(ask))).status).toBe(500)
    const limited = await failure(r.client.chat.completions.create(ask))
    expect([limited.status, limited.headers?.get('retry-after')]).toEqual([429, '1'])
    expect(r.usage).toEqual([])

    // The upstream refuses the host's key and echoes it masked: the sandbox sees neither.
    const wrong = await rig([], { serverKey: 'sk-a-different-key-000000' })
    const refused = await failure(wrong.client.chat.completions.create(ask))
    expect(refused.status).toBe(401)
    expect(refused.message).toContain('[redacted]')
    expect(refused.message).not.toContain(REAL_KEY.slice(-4))
    expect(Buffer.concat(wrong.traffic).toString()).not.toContain(REAL_KEY.slice(-4))
  })

  it('answers 502 with a clear message when the upstream is unreachable or redirects', async () => {
    const down = createHttpServer()
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve))
    const port = (down.address() as AddressInfo).port
    await new Promise((resolve) => down.close(resolve))
    const r = await rig([], { upstreamBaseUrl: `http://127.0.0.1:${port}/v1` })
    const err = await failure(r.client.chat.completions.create(ask))
    expect([err.status, err.code]).toEqual([502, 'upstream_unreachable'])
    expect(err.message).toMatch(/could not reach the model API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)

    const hops: string[] = []
    const redirecting = createHttpServer((req, res) => {
      hops.push(`${req.method} ${req.url}`)
      res.writeHead(307, { location: 'http://127.0.0.2:9/v1/chat/completions' }).end()
    })
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => redirecting.close(() => resolve())))
    const to = await rig([], {
      upstreamBaseUrl: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/v1`,
    })
    const redirected = await failure(to.client.chat.completions.create(ask))
    expect([redirected.status, redirected.code]).toEqual([502, 'upstream_redirect'])
    expect(hops).toEqual(['POST /v1/chat/completions'])
  })

  it('bounds the request body (413) and the headers (431)', async () => {
    const r = await rig([])
    const auth = { authorization: `Bearer ${r.proxy.placeholder}`, 'content-type': 'application/json' }
    const declared = await new Promise<number>((resolve, reject) => {
      const req = request({
        socketPath: r.socketPath,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { ...auth, 'content-length': String(MAX_REQUEST_BYTES + 1) },
      })
      req.on('error', reject)
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.write('{')
    })
    expect(declared).toBe(413)
    const big = Buffer.alloc(MAX_REQUEST_BYTES + 1024, 0x20)
    const chunked = await raw(r.socketPath, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { ...auth, 'transfer-encoding': 'chunked' },
      body: big,
    })
    expect(chunked.status).toBe(413)
    const huge = await raw(r.socketPath, {
      path: '/v1/models',
      headers: { ...auth, 'x-padding': 'x'.repeat(64 * 1024) },
    })
    expect(huge.status).toBe(431)
    expect(r.server.hits).toEqual([])
  })

  it('verifies the upstream’s TLS certificate, trusting the CAs it is given', async () => {
    const dir = await tempDir('codex-model-proxy-tls-')
    const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    )
    const cert = readFileSync(certFile)
    const seen: Array<string | undefined> = []
    const tls = createHttpsServer({ key: readFileSync(keyFile), cert }, (req, res) => {
      seen.push(req.headers.authorization)
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          id: 'chatcmpl-tls',
          object: 'chat.completion',
          created: 0,
          model: 'gpt-4.1-mini',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'over TLS', refusal: null },
              finish_reason: 'stop',
              logprobs: null,
            },
          ],
          usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
        }),
      )
    })
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => tls.close(() => resolve())))
    const upstreamBaseUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/v1`

    const untrusted = await rig([], { upstreamBaseUrl })
    const err = await failure(untrusted.client.chat.completions.create(ask))
    expect([err.status, err.code]).toEqual([502, 'upstream_unreachable'])
    expect(err.message).toMatch(
      /does not trust the TLS certificate of the model API at https:\/\/127\.0\.0\.1:\d+ \(\w+\)/,
    )
    expect(seen).toEqual([])

    const trusted = await rig([], {
      upstreamBaseUrl,
      upstreamAgent: new HttpsAgent({ ca: cert, keepAlive: true }),
    })
    const answer = await trusted.client.chat.completions.create(ask)
    expect(answer.choices[0]!.message.content).toBe('over TLS')
    expect(seen).toEqual([`Bearer ${REAL_KEY}`])
    expect(trusted.usage).toMatchObject([{ promptTokens: 5, completionTokens: 2 }])
  })
})
