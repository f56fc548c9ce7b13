import { existsSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { ModelProxy, newPlaceholder } from '../../../src/main/network/model-proxy'
import { tempDir } from '../../support/tmp'
import { ask, failure, REAL_KEY, rig } from './proxy-fixture'

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
