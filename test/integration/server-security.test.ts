import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fetchWith, rawRequest } from '../support/http'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

const CALL = { 'content-type': 'application/json', 'x-codex-sys': '1' }

async function makeRenderer(): Promise<string> {
  const dir = await tempDir()
  await mkdir(join(dir, 'assets'))
  await writeFile(
    join(dir, 'index.html'),
    '<!doctype html><div id="root"></div><script src="/assets/app.js"></script>',
  )
  await writeFile(join(dir, 'assets', 'app.js'), 'console.log("app")\n')
  return dir
}

describe('the headless server, bound to another address', () => {
  it('requires the token: bearer header or the cookie a ?token= visit sets', async () => {
    await withTestAppServer({ host: '0.0.0.0', rendererDir: await makeRenderer() }, async ({ server }) => {
      const token = server.token
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
      const port = new URL(server.url).port
      const via = `http://127.0.0.1:${port}`
      const list = (headers: Record<string, string> = {}) =>
        fetch(`${via}/api/call/tasks.list`, { method: 'POST', headers: { ...CALL, ...headers }, body: '{}' })

      const refused = await list()
      expect(refused.status).toBe(401)
      expect(await refused.json()).toMatchObject({ ok: false, error: { kind: 'auth_failed' } })
      expect((await list({ authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401)
      expect((await list({ authorization: `Bearer ${token}` })).status).toBe(200)
      expect((await fetch(`${via}/`)).status).toBe(401)
      expect((await fetch(`${via}/api/events`)).status).toBe(401)
      expect((await fetch(`${via}/api/task/x/status`)).status).toBe(401)

      expect((await fetch(`${via}/?token=not-the-token`, { redirect: 'manual' })).status).toBe(401)
      const visit = await fetch(`${via}/?token=${token}`, { redirect: 'manual' })
      expect(visit.status).toBe(303)
      expect(visit.headers.get('location')).toBe('/')
      const cookie = visit.headers.get('set-cookie') ?? ''
      expect(cookie).toMatch(/HttpOnly/)
      expect(cookie).toMatch(/SameSite=Strict/)
      const jar = cookie.split(';')[0]!
      expect(jar).toBe(`codex_sys_token_${port}=${token}`)
      expect((await list({ cookie: jar })).status).toBe(200)
      const page = await fetch(`${via}/`, { headers: { cookie: jar } })
      expect(page.status).toBe(200)
    })
  })

  it('takes a given token, and requires it on loopback too', async () => {
    const token = 'a-given-token-0123456789'
    await withTestAppServer({ token }, async ({ server }) => {
      expect(server.token).toBe(token)
      const res = await fetch(`${server.url}/api/call/tasks.list`, {
        method: 'POST',
        headers: CALL,
        body: '{}',
      })
      expect(res.status).toBe(401)
      const ok = await fetch(`${server.url}/api/call/tasks.list`, {
        method: 'POST',
        headers: { ...CALL, authorization: `Bearer ${token}` },
        body: '{}',
      })
      expect(ok.status).toBe(200)
    })
  })
})

describe('the headless server on loopback', () => {
  it('requires a token it generated, and sets its cookie on a ?token= visit', async () => {
    await withTestAppServer({ rendererDir: await makeRenderer() }, async ({ server, token, openUrl }) => {
      expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
      expect(server.token).toBe(token)
      expect(openUrl).toBe(`${server.url}/?token=${token}`)
      const list = (headers: Record<string, string> = {}) =>
        fetch(`${server.url}/api/call/tasks.list`, {
          method: 'POST',
          headers: { ...CALL, ...headers },
          body: '{}',
        })
      const refused = await list()
      expect(refused.status).toBe(401)
      expect(await refused.json()).toMatchObject({
        ok: false,
        error: { kind: 'auth_failed', message: 'This server needs its access token.' },
      })
      expect((await fetch(`${server.url}/`)).status).toBe(401)
      expect((await list({ authorization: `Bearer ${token}` })).status).toBe(200)
      expect((await list({ authorization: `bearer ${token}` })).status).toBe(200)
      expect((await list({ authorization: `Bearer ${token}x` })).status).toBe(401)

      const visit = await fetch(openUrl, { redirect: 'manual' })
      expect(visit.status).toBe(303)
      expect(visit.headers.get('location')).toBe('/')
      const jar = (visit.headers.get('set-cookie') ?? '').split(';')[0]!
      expect((await list({ cookie: jar })).status).toBe(200)
      expect((await fetch(`${server.url}/`, { headers: { cookie: jar } })).status).toBe(200)
      // A cookie for another port's server is not ours.
      const other = jar.replace(/^codex_sys_token_\d+/, 'codex_sys_token_1')
      expect((await list({ cookie: other })).status).toBe(401)
    })
  })

  it('never takes the token in the address of an API call', async () => {
    await withTestAppServer({}, async ({ server, token, auth }) => {
      for (const path of ['/api/call/tasks.list', '/api/events', '/api/task/x/status']) {
        for (const headers of [{}, auth]) {
          const res = await fetch(`${server.url}${path}?token=${token}`, {
            method: path.startsWith('/api/call/') ? 'POST' : 'GET',
            headers: { ...CALL, ...headers },
            body: path.startsWith('/api/call/') ? '{}' : undefined,
          })
          expect([path, res.status]).toEqual([path, 400])
          expect(await res.json()).toMatchObject({
            error: { message: 'API calls never take the access token in the address.' },
          })
        }
      }
    })
  })

  it('serves without a token only when told so explicitly, and only on loopback', async () => {
    await withTestAppServer({ noToken: true }, async ({ server, token, auth, openUrl }) => {
      expect(server.token).toBeUndefined()
      expect(token).toBeUndefined()
      expect(auth).toEqual({})
      expect(openUrl).toBe(`${server.url}/`)
      const res = await fetch(`${server.url}/api/call/tasks.list`, {
        method: 'POST',
        headers: CALL,
        body: '{}',
      })
      expect(res.status).toBe(200)
    })
    for (const host of ['0.0.0.0', '::']) {
      await expect(withTestAppServer({ host, noToken: true }, async () => undefined)).rejects.toThrow(
        `A server bound to ${host} must require its access token.`,
      )
    }
    await expect(
      withTestAppServer({ noToken: true, token: 'a-given-token-0123456789' }, async () => undefined),
    ).rejects.toThrow(/not both/)
    await expect(withTestAppServer({ token: 'short' }, async () => undefined)).rejects.toThrow(
      /16 to 512 visible ASCII characters/,
    )
  })

  it('answers only requests addressed to loopback with its port (DNS rebinding)', async () => {
    await withTestAppServer({}, async ({ server, auth }) => {
      const port = new URL(server.url).port
      const list = (host: string) =>
        rawRequest(server.url, {
          method: 'POST',
          path: '/api/call/tasks.list',
          headers: { ...CALL, ...auth, host },
          body: '{}',
        })
      expect((await list(`127.0.0.1:${port}`)).status).toBe(200)
      expect((await list(`localhost:${port}`)).status).toBe(200)
      expect((await list(`evil.example:${port}`)).status).toBe(403)
      expect((await list('evil.example')).status).toBe(403)
      expect((await list(`127.0.0.1:${Number(port) + 1}`)).status).toBe(403)
      const page = await rawRequest(server.url, {
        path: '/',
        headers: { ...auth, host: `attacker.test:${port}` },
      })
      expect(page.status).toBe(403)
    })
  })

  it('refuses state changes from other sites (CSRF), even with the cookie', async () => {
    await withTestAppServer({}, async ({ server, openUrl }) => {
      const origin = server.url
      const visit = await fetch(openUrl, { redirect: 'manual' })
      const cookie = (visit.headers.get('set-cookie') ?? '').split(';')[0]!
      const post = (path: string, headers: Record<string, string>, body = '{}') =>
        fetch(`${origin}${path}`, { method: 'POST', headers: { cookie, ...headers }, body })
      const update = JSON.stringify({ theme: 'dark' })
      expect((await post('/api/call/settings.update', { 'content-type': 'text/plain' }, update)).status).toBe(
        403,
      )
      expect(
        (await post('/api/call/settings.update', { ...CALL, origin: 'https://evil.example' }, update)).status,
      ).toBe(403)
      expect(
        (await post('/api/call/settings.update', { ...CALL, 'sec-fetch-site': 'cross-site' }, update)).status,
      ).toBe(403)
      expect((await post('/api/call/settings.update', { ...CALL, origin }, update)).status).toBe(200)
      expect((await post('/api/uploads', { 'content-type': 'application/zip' }, 'PK')).status).toBe(403)
      const form = new FormData()
      form.set('task_description', 'x')
      form.set('git_url', 'https://example.com/r.git')
      const seed = await fetch(`${origin}/api/task`, {
        method: 'POST',
        body: form,
        headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      })
      expect(seed.status).toBe(403)
      const settings = await post('/api/call/settings.get', CALL)
      expect(await settings.json()).toMatchObject({ ok: true, value: { theme: 'dark' } })
    })
  })

  it('serves the renderer with a strict CSP and SPA fallback', async () => {
    await withTestAppServer({ rendererDir: await makeRenderer() }, async ({ server, auth }) => {
      const fetch = fetchWith(auth)
      const page = await fetch(`${server.url}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("default-src 'self'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("worker-src 'self' blob:")
      expect(csp).toContain("style-src 'self' 'unsafe-inline'")
      expect(csp).not.toContain('unsafe-eval')
      expect(csp).not.toMatch(/https?:/)
      expect(page.headers.get('x-content-type-options')).toBe('nosniff')
      expect(page.headers.get('cache-control')).toBe('no-store')
      expect(await page.text()).toContain('<div id="root">')

      const asset = await fetch(`${server.url}/assets/app.js`)
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      expect(asset.headers.get('cache-control')).toContain('immutable')
      expect((await fetch(`${server.url}/tasks/abc`)).headers.get('content-type')).toBe(
        'text/html; charset=utf-8',
      )
      expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404)
      expect((await fetch(`${server.url}/`, { method: 'POST', headers: CALL })).status).toBe(405)
    })
  })

  it('says the web UI is not built when there is no renderer', async () => {
    await withTestAppServer({}, async ({ server, auth }) => {
      const page = await fetch(`${server.url}/`, { headers: auth })
      expect(page.status).toBe(503)
      expect(await page.json()).toMatchObject({ error: { hint: expect.stringContaining('npm run build') } })
    })
  })
})
