import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { estimateCostUsd } from '../../../src/main/agent/pricing'
import { ask, failure, REAL_KEY, rig, socketRequest } from './proxy-fixture'

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
        cachedPromptTokens: 0,
        costKnown: true,
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
      const res = await socketRequest(r.socketPath, {
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
      const res = await socketRequest(r.socketPath, { method, path, headers: auth })
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
        cachedPromptTokens: 0,
        costKnown: true,
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
