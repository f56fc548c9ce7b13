/**
 * Cross-origin pages and `--allow-origin`: an origin not listed still gets nothing (no CORS headers, its
 * writes refused), and a listed origin gets the seed API only — never the rest of the API, the event
 * stream, uploads or the page, and never our cookie. Each case proves it held (`hostile` in server-case.ts).
 */
import { describe, expect, it } from 'vitest'
import type { RawResponse } from '../support/http'
import { errorOf, hostile, NEEDS_TOKEN, OTHER_SITE, type Case } from './support/server-case'

const LISTED = 'http://localhost:8000'
/** Near misses of the listed origin, and other sites. */
const NOT_LISTED = [
  'http://evil.example',
  'http://localhost:8001',
  'https://localhost:8000',
  'http://localhost:8000.evil.test',
  'http://127.0.0.1:8000',
  'null',
]

const corsHeaders = (res: RawResponse): string[] =>
  Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))

async function seedForm(): Promise<{ type: string; bytes: Buffer }> {
  const form = new FormData()
  form.set('task_description', 'Summarize the keys')
  form.set('git_url', 'https://github.com/evil/repo.git')
  const body = new Response(form)
  return { type: body.headers.get('content-type')!, bytes: Buffer.from(await body.arrayBuffer()) }
}

const preflight = (c: Case, path: string, origin: string, method = 'POST'): Promise<RawResponse> =>
  c.send({
    method: 'OPTIONS',
    path,
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization',
    },
  })

describe('cross-origin pages and --allow-origin', () => {
  for (const noToken of [false, true]) {
    it(`an origin not listed gets no CORS headers and its seed posts are refused${noToken ? ' (--no-token)' : ''}`, async () => {
      await hostile({ allowOrigins: [LISTED], noToken }, async (c) => {
        const { type, bytes } = await seedForm()
        for (const origin of NOT_LISTED) {
          const answers = [
            await preflight(c, '/api/task', origin),
            await preflight(c, '/api/task/test-x/status', origin, 'GET'),
            await c.send({
              method: 'POST',
              path: '/api/task',
              headers: { 'content-type': type, origin, 'sec-fetch-site': 'cross-site', ...c.auth },
              body: bytes,
            }),
            await c.send({ path: '/api/task/test-x/status', headers: { origin, ...c.auth } }),
            await c.send({ path: '/api/logs/test-x/diff.patch', headers: { origin, ...c.auth } }),
          ]
          for (const res of answers) expect([origin, corsHeaders(res)]).toEqual([origin, []])
          expect([origin, answers[2]!.status]).toEqual([origin, 403])
          expect(errorOf(answers[2]!)).toMatchObject(OTHER_SITE)
        }
      })
    })
  }

  it('a listed origin gets the seed API only: nothing else answers it (--no-token)', async () => {
    await hostile({ allowOrigins: [LISTED], noToken: true }, async (c) => {
      const headers = { origin: LISTED, 'sec-fetch-site': 'same-site' }
      const settings = await c.call('settings.update', { githubApiUrl: c.attacker.url }, headers)
      expect(settings.status).toBe(403)
      expect(errorOf(settings)).toMatchObject(OTHER_SITE)
      const others = [
        settings,
        await c.call('tasks.list', {}, headers),
        await preflight(c, '/api/call/settings.update', LISTED),
        await preflight(c, '/api/uploads', LISTED),
        await c.send({ path: '/', headers }),
        await c.send({ method: 'POST', path: '/api/uploads', headers: { ...headers, 'x-codex-sys': '1' } }),
      ]
      for (const res of others) expect(corsHeaders(res)).toEqual([])
      expect(others[5]!.status).toBe(403)
      // The event stream never ends by itself: its headers only.
      const stop = new AbortController()
      const events = await fetch(`${c.server.url}/api/events`, {
        headers: { origin: LISTED },
        signal: stop.signal,
      })
      expect([...events.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([])
      stop.abort()
      // Its preflight to the seed routes names their methods and no credentials.
      const ok = await preflight(c, '/api/task', LISTED)
      expect(ok.status).toBe(204)
      expect(ok.headers).toMatchObject({
        'access-control-allow-origin': LISTED,
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'authorization, content-type',
        vary: 'Origin',
      })
      expect(ok.headers['access-control-allow-credentials']).toBeUndefined()
      expect((await preflight(c, '/api/task', LISTED, 'DELETE')).status).toBe(405)
      expect((await preflight(c, '/api/task/test-x/status', LISTED, 'POST')).status).toBe(405)
    })
  })

  it('a listed origin still needs the token when the server needs one, and never gets the cookie', async () => {
    await hostile({ allowOrigins: [LISTED] }, async (c) => {
      const { type, bytes } = await seedForm()
      const res = await c.send({
        method: 'POST',
        path: '/api/task',
        headers: { 'content-type': type, origin: LISTED, 'sec-fetch-site': 'cross-site', cookie: c.cookie },
        body: bytes,
      })
      expect(res.status).toBe(401)
      expect(errorOf(res)).toMatchObject(NEEDS_TOKEN)
      // It may read the refusal (CORS), but no credentials are allowed: the cookie is not its to send.
      expect(res.headers['access-control-allow-origin']).toBe(LISTED)
      expect(res.headers['access-control-allow-credentials']).toBeUndefined()
      const status = await c.send({ path: '/api/task/test-x/status', headers: { origin: LISTED } })
      expect(status.status).toBe(401)
    })
  })
})
