/**
 * Hostile requests to the headless server with paths outside the allowlist and bodies too large or too
 * slow. Each case proves it held (`hostile` in server-case.ts).
 */
import { connect } from 'node:net'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { streamingRequest } from '../support/http'
import type { TestAppServer } from '../support/services'
import { errorOf, hostile, JSON_CALL } from './support/server-case'

/**
 * Over a raw socket: headers declaring a body of `declared` bytes, then 8 MiB of it after the server
 * has answered, and the answer read only half a second later. Returns everything read until the
 * connection ended.
 */
async function sendWhileRefused(
  origin: string,
  path: string,
  headers: Record<string, string>,
  declared: number,
): Promise<string> {
  const { host, hostname, port } = new URL(origin)
  const socket = connect(Number(port), hostname)
  socket.pause()
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => undefined)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const lines = Object.entries({ ...headers, host, 'content-length': String(declared) })
  socket.write(`POST ${path} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`)
  await new Promise((r) => setTimeout(r, 100))
  socket.write(Buffer.alloc(8 * 1024 ** 2, 0x20))
  await new Promise((r) => setTimeout(r, 500))
  socket.resume()
  await closed
  return Buffer.concat(chunks).toString('utf8')
}

describe('hostile requests to the headless server', () => {
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

      // Still sending when refused, and slow to read the answer: it arrives all the same, not a reset
      // that would throw it away unread (the server drains what comes after its answer, for a while).
      const call = '/api/call/settings.update'
      const pushed = await sendWhileRefused(c.server.url, call, { ...JSON_CALL, ...c.auth }, 1024 ** 3)
      expect(pushed).toMatch(/^HTTP\/1\.1 413 /)
      expect(pushed).toContain('The request is larger than 32.0 MiB.')
      // The same for a ZIP upload declared larger than the ZIP limit (8 GiB).
      const zip = { ...JSON_CALL, 'content-type': 'application/zip', ...c.auth }
      const upload = await sendWhileRefused(c.server.url, '/api/uploads', zip, 16 * 1024 ** 3)
      expect(upload).toMatch(/^HTTP\/1\.1 413 /)
      expect(upload).toContain('The ZIP file is larger than 8.0 GiB.')

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
