import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { AppEvent } from '../../src/shared/events'
import { createHttpBridge } from '../../src/renderer/src/lib/http-bridge'
import { requireDocker } from '../support/docker'
import { fetchWith, rawRequest } from '../support/http'
import { buildZip } from '../support/make-zip'
import { withTestAppServer } from '../support/services'
import { NodeEventSource } from '../support/sse-client'
import { until } from '../support/until'

const JSON_CALL = { 'content-type': 'application/json', 'x-codex-sys': '1' }

type Env = { server: { url: string }; auth: Record<string, string> }

async function call(env: Env, name: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${env.server.url}/api/call/${name}`, {
    method: 'POST',
    headers: { ...JSON_CALL, ...env.auth },
    body,
  })
  return { status: res.status, json: await res.json() }
}

const engineListeners = (engine: unknown): number => (engine as { listeners: Set<unknown> }).listeners.size

describe('the headless server API', () => {
  it('answers calls of the contract with Results, only with its token', async () => {
    await withTestAppServer({}, async (env) => {
      expect(await call(env, 'tasks.list', '{}')).toEqual({
        status: 200,
        json: { ok: true, value: [] },
      })
      const updated = await call(env, 'settings.update', JSON.stringify({ maxConcurrentTasks: 3 }))
      expect(updated.json).toMatchObject({ ok: true, value: { maxConcurrentTasks: 3 } })
      expect((await call(env, 'settings.get', '')).json).toMatchObject({
        ok: true,
        value: { maxConcurrentTasks: 3 },
      })
      const secrets = await call(env, 'secrets.set', JSON.stringify({ name: 'github', value: 'ghp_x1' }))
      expect(secrets.json).toEqual({
        ok: true,
        value: expect.objectContaining({ github: true, openai: true }),
      })
      expect(JSON.stringify(secrets.json)).not.toContain('ghp_x1')
      const status = await call(env, 'system.status', '{}')
      expect(status.json).toMatchObject({ ok: true, value: { desktop: false, docker: { reachable: true } } })
      const anonymous = await call({ ...env, auth: {} }, 'settings.get', '')
      expect(anonymous).toMatchObject({ status: 401, json: { ok: false, error: { kind: 'auth_failed' } } })
    })
  })

  it('refuses invalid input, malformed JSON, unknown calls and desktop-only calls', async () => {
    await withTestAppServer({}, async (env) => {
      const { server } = env
      const invalid = await call(env, 'tasks.get', JSON.stringify({ id: '../../etc' }))
      expect(invalid).toMatchObject({ status: 400, json: { ok: false, error: { kind: 'invalid_input' } } })
      const extra = await call(env, 'tasks.list', JSON.stringify({ sneaky: true }))
      expect(extra).toMatchObject({ status: 400, json: { ok: false, error: { kind: 'invalid_input' } } })
      const malformed = await call(env, 'settings.update', '{"model": ')
      expect(malformed).toEqual({
        status: 400,
        json: { ok: false, error: { kind: 'invalid_input', message: 'The request body is not valid JSON.' } },
      })
      const unknown = await call(env, 'tasks.destroyEverything', '{}')
      expect(unknown).toMatchObject({ status: 404, json: { ok: false, error: { kind: 'not_found' } } })
      const missing = await call(env, 'tasks.get', JSON.stringify({ id: 'nope' }))
      expect(missing).toMatchObject({ status: 404, json: { ok: false, error: { kind: 'not_found' } } })
      const dialog = await call(env, 'dialog.pickFolder', '{}')
      expect(dialog).toMatchObject({ status: 501, json: { ok: false, error: { kind: 'unsupported' } } })
      const huge = await fetch(`${server.url}/api/call/tasks.list`, {
        method: 'POST',
        headers: { ...JSON_CALL, ...env.auth },
        body: 'x'.repeat(33 * 1024 ** 2),
      })
      expect(huge.status).toBe(413)
      for (const res of [invalid, malformed, unknown])
        expect(JSON.stringify(res.json)).not.toMatch(/\bat .+:\d+/)
    })
  })

  it('streams events with heartbeats, and unsubscribes when the client goes', async () => {
    await withTestAppServer({ heartbeatMs: 50 }, async ({ server, services, auth }) => {
      const refused = new NodeEventSource(`${server.url}/api/events`)
      await until(() => (refused.status === undefined ? undefined : refused.status), 5000, 'an answer')
      expect(refused.status).toBe(401)
      const before = engineListeners(services.engine)
      const source = new NodeEventSource(`${server.url}/api/events`, { headers: auth })
      await until(() => (source.comments.includes('ping') ? true : undefined), 5000, 'a heartbeat')
      expect(engineListeners(services.engine)).toBe(before + 1)
      source.close()
      await until(() => (engineListeners(services.engine) === before ? true : undefined), 5000, 'unsubscribe')
    })
  })

  it('refuses uploads that are not ZIPs or are too large', async () => {
    await withTestAppServer({ settings: { zip: { maxBytes: 1000 } } }, async ({ server, auth }) => {
      const upload = (body: Buffer | string, type = 'application/zip') =>
        fetch(`${server.url}/api/uploads`, {
          method: 'POST',
          headers: { 'content-type': type, 'x-codex-sys': '1', ...auth },
          body,
        })
      const notZip = await upload('just some text, not an archive')
      expect(notZip.status).toBe(415)
      expect(await notZip.json()).toMatchObject({
        ok: false,
        error: { message: 'That file is not a ZIP archive.' },
      })
      expect((await upload(buildZip([{ name: 'a.txt', data: 'a' }]), 'text/plain')).status).toBe(415)
      const big = await upload(buildZip([{ name: 'big.bin', data: Buffer.alloc(4000, 7), method: 'store' }]))
      expect(big.status).toBe(413)
      // Declared far too large: refused before reading.
      const declared = await rawRequest(server.url, {
        method: 'POST',
        path: '/api/uploads',
        headers: {
          'content-type': 'application/zip',
          'x-codex-sys': '1',
          'content-length': String(512 * 1024 ** 2),
          ...auth,
        },
        body: 'PK\x03\x04',
      })
      expect(declared.status).toBe(413)
      const ok = await upload(buildZip([{ name: 'a.txt', data: 'a' }]))
      expect(await ok.json()).toEqual({ ok: true, value: expect.stringMatching(/uploads\/.+\.zip$/) })
    })
  })

  it('runs a dropped ZIP as a task through the HTTP bridge, with live events', async () => {
    await requireDocker()
    const script = [
      { toolCalls: [{ name: 'write_file', args: { path: 'app/hello.txt', content: 'hello, world\n' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Said hello.' } }] },
    ]
    await withTestAppServer({ script }, async ({ server, auth }) => {
      const api = createHttpBridge(server.url, {
        fetch: fetchWith(auth),
        eventSource: (url) => new NodeEventSource(url, { headers: auth }),
      })
      const events: AppEvent[] = []
      const stop = api.onEvent((event) => events.push(event))
      const zip = buildZip([
        { name: 'app/', dir: true },
        { name: 'app/hello.txt', data: 'hello\n' },
        { name: 'README.md', data: '# demo\n' },
      ])
      const uploaded = await api.fileSource(new File([zip], 'code.zip', { type: 'application/zip' }))
      if (!uploaded.ok) throw new Error(uploaded.error.message)
      const submitted = await api['tasks.submit']({
        source: { kind: 'zip', path: uploaded.value },
        prompt: 'Make the greeting friendlier',
      })
      if (!submitted.ok) throw new Error(submitted.error.message)
      const id = submitted.value.id
      const statusOf = (e: AppEvent): string | undefined =>
        e.kind === 'task' && e.event.taskId === id && e.event.type === 'status' ? e.event.status : undefined
      await until(() => (events.some((e) => statusOf(e) === 'review') ? true : undefined), 150_000, 'review')
      stop()
      expect(events.map(statusOf).filter(Boolean)).toEqual(['queued', 'preparing', 'running', 'review'])
      expect(events.some((e) => e.kind === 'task' && e.event.type === 'tool_call')).toBe(true)
      expect(events.some((e) => e.kind === 'task-updated' && e.task.id === id)).toBe(true)
      const diff = await api['tasks.diff']({ id })
      if (!diff.ok) throw new Error(diff.error.message)
      expect(diff.value.fileDiffs).toEqual([
        expect.objectContaining({
          status: 'modified',
          newPath: 'app/hello.txt',
          oldContent: 'hello\n',
          newContent: 'hello, world\n',
        }),
      ])
      // The upload is the server's temporary file: gone once the task has imported it.
      await until(() => (existsSync(uploaded.value) ? undefined : true), 5000, 'the upload to be removed')
    })
  })
})
