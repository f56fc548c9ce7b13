/**
 * Hostile requests to the headless server from other sites: a forged Host (DNS rebinding), a cross-origin
 * or `null` Origin, no custom header. Each case proves it held (`hostile` in server-case.ts).
 */
import { describe, expect, it } from 'vitest'
import { buildZip } from '../support/make-zip'
import { errorOf, hostile, OTHER_SITE } from './support/server-case'

describe('hostile requests to the headless server', () => {
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
})
