import { createServer as createHttpServer, request } from 'node:http'
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { MAX_REQUEST_BYTES } from '../../../src/main/network/model-proxy'
import { makeTestServerCert } from '../../support/test-cert'
import { tempDir } from '../../support/tmp'
import { ask, failure, REAL_KEY, rig, socketRequest } from './proxy-fixture'

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
    const chunked = await socketRequest(r.socketPath, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { ...auth, 'transfer-encoding': 'chunked' },
      body: big,
    })
    expect(chunked.status).toBe(413)
    const huge = await socketRequest(r.socketPath, {
      path: '/v1/models',
      headers: { ...auth, 'x-padding': 'x'.repeat(64 * 1024) },
    })
    expect(huge.status).toBe(431)
    expect(r.server.hits).toEqual([])
  })

  it('verifies the upstream’s TLS certificate, trusting the CAs it is given', async () => {
    const { key, cert } = makeTestServerCert(await tempDir('codex-model-proxy-tls-'), '127.0.0.1')
    const seen: Array<string | undefined> = []
    const tls = createHttpsServer({ key, cert }, (req, res) => {
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
