import { createHash } from 'node:crypto'
import http from 'node:http'
import { connect, createServer } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  closedAfterTest,
  closeServer,
  connectVia,
  httpVia,
  listen,
  patterned,
  readText,
  startHttpTarget,
  startRawOrigin,
  unixAgent,
  waitFor,
} from './proxy-helpers'
import { custom, startProxy, type Fixture } from './proxy-fixture'

// How the plain-HTTP path frames responses it parses itself, and the CONNECT path's data integrity.

const proxy = closedAfterTest(startProxy)
const raw = closedAfterTest(startRawOrigin)
const origin = closedAfterTest(startHttpTarget)
function proxyFor(port: number): Promise<Fixture> {
  return proxy({
    phase: custom([`web.example.com:${port}`]),
    names: { 'web.example.com': ['127.0.0.1'] },
    trusted: ['127.0.0.1'],
  })
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const OK = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`

describe('plain HTTP framing', () => {
  it('de-chunks and re-chunks a chunked body of uneven chunks, intact, with its trailer dropped', async () => {
    const t = await origin()
    const f = await proxyFor(t.port)
    const res = await httpVia(f.socketPath, `http://web.example.com:${t.port}/chunked?bytes=3000000`)
    expect(res.status).toBe(200)
    expect(res.headers['transfer-encoding']).toBe('chunked')
    expect(res.raw.length).toBe(3_000_000)
    expect(sha(res.raw)).toBe(sha(patterned(3_000_000)))
  })

  it('passes a Content-Length body through as it is, 20 MB intact', async () => {
    const t = await origin()
    const f = await proxyFor(t.port)
    const res = await httpVia(f.socketPath, `http://web.example.com:${t.port}/big?bytes=20000000`)
    expect(res.headers['content-length']).toBe('20000000')
    expect(res.raw.length).toBe(20_000_000)
    expect(res.raw.every((b) => b === 7)).toBe(true)
  })

  it('reads a close-delimited body to the end of the connection', async () => {
    const o = await raw(() => 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end')
    // The raw origin never closes by itself: close after the answer is written.
    const f = await proxyFor(o.port)
    const origClose = o.close
    const pending = httpVia(f.socketPath, `http://web.example.com:${o.port}/`)
    await waitFor(() => o.heads.length === 1)
    await origClose()
    const res = await pending
    expect(res.body).toBe('until the end')
  })

  it('HEAD, 204 and 304 have no body, and the client connection stays usable', async () => {
    const o = await raw((head) => {
      if (head.startsWith('HEAD')) return 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'
      if (head.startsWith('GET /204')) return 'HTTP/1.1 204 No Content\r\n\r\n'
      if (head.startsWith('GET /304')) return 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'
      return OK('after')
    })
    const f = await proxyFor(o.port)
    const agent = unixAgent(f.socketPath)
    onTestFinished(() => agent.destroy())
    const base = `http://web.example.com:${o.port}`
    const head = await httpVia(f.socketPath, `${base}/h`, { method: 'HEAD', agent })
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '5', ''])
    expect((await httpVia(f.socketPath, `${base}/204`, { agent })).status).toBe(204)
    expect((await httpVia(f.socketPath, `${base}/304`, { agent })).status).toBe(304)
    expect((await httpVia(f.socketPath, `${base}/after`, { agent })).body).toBe('after')
    expect(agent.opened).toBe(1)
    expect(o.connections).toBe(1)
  })

  it('skips informational answers (100, 103) before the final one', async () => {
    const o = await raw(
      () => 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n' + OK('final'),
    )
    const f = await proxyFor(o.port)
    const res = await httpVia(f.socketPath, `http://web.example.com:${o.port}/`)
    expect([res.status, res.body]).toEqual([200, 'final'])
  })

  it('retries a bodyless request once when a reused origin connection turns out closed', async () => {
    // Each connection answers its first request and silently drops the second.
    const o = await raw((_head, _conn, nth) => (nth === 0 ? OK(`fresh`) : null))
    const f = await proxyFor(o.port)
    const base = `http://web.example.com:${o.port}`
    expect((await httpVia(f.socketPath, `${base}/1`)).body).toBe('fresh')
    const second = await httpVia(f.socketPath, `${base}/2`)
    expect([second.status, second.body]).toEqual([200, 'fresh'])
    expect(o.connections).toBe(2)
  })

  it('answers 502 to a response that is not HTTP, and when the origin drops a fresh connection', async () => {
    const o = await raw((head) => (head.includes('/garbage') ? 'SSH-2.0-OpenSSH\r\n\r\n' : null))
    const f = await proxyFor(o.port)
    const bad = await httpVia(f.socketPath, `http://web.example.com:${o.port}/garbage`)
    expect(bad.status).toBe(502)
    expect(bad.body).toBe(`codex-sys: web.example.com:${o.port} — the server did not answer HTTP/1.x\n`)
    const dropped = await httpVia(f.socketPath, `http://web.example.com:${o.port}/drop`)
    expect(dropped.status).toBe(502)
    expect(dropped.body).toMatch(/the server closed the connection/)
  })

  it('ends the origin connection when the client goes away mid-body', async () => {
    const t = await origin()
    const f = await proxyFor(t.port)
    const client = connect(f.socketPath)
    client.write(
      `GET http://web.example.com:${t.port}/big?bytes=500000000 HTTP/1.1\r\nHost: web.example.com:${t.port}\r\n\r\n`,
    )
    let got = 0
    await new Promise<void>((resolve) =>
      client.on('data', (d: Buffer) => {
        got += d.length
        if (got > 1_000_000) resolve()
      }),
    )
    client.destroy()
    await waitFor(() => t.closed === 1)
    expect(t.connections).toBe(1)
  })

  it('forwards a request body with Content-Length and Expect: 100-continue', async () => {
    const t = await origin()
    const f = await proxyFor(t.port)
    const body = 'x'.repeat(100_000)
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        createConnection: () => connect(f.socketPath),
        method: 'PUT',
        path: `http://web.example.com:${t.port}/put`,
        headers: { Host: `web.example.com:${t.port}`, 'Content-Length': body.length, Expect: '100-continue' },
      })
      req.on('continue', () => req.end(body))
      req.on('response', (r) => {
        r.resume()
        resolve(r.statusCode ?? 0)
      })
      req.on('error', reject)
    })
    expect(res).toBe(200)
    expect(t.requests[0]?.body.length).toBe(100_000)
    expect(t.requests[0]?.headers.expect).toBeUndefined()
  })
})

describe('CONNECT data path', () => {
  it('delivers what the target sends first (a banner) after the 200', async () => {
    const o = await raw(() => 'pong', { banner: 'SSH-2.0-test\r\n' })
    const f = await proxyFor(o.port)
    const a = await connectVia(f.socketPath, `web.example.com:${o.port}`)
    expect(a.status).toBe(200)
    const got = readText(a.socket, 'SSH-2.0-test\r\npong'.length)
    a.socket.write('ping\r\n\r\n')
    expect(await got).toBe('SSH-2.0-test\r\npong')
    a.socket.destroy()
  })

  it('moves 30 MB both ways intact', async () => {
    const data = patterned(30_000_000)
    let received = 0
    const sink = createServer((s) => {
      s.on('data', (d: Buffer) => (received += d.length))
      s.end(data)
    })
    const port = await listen(sink)
    onTestFinished(() => closeServer(sink))
    const f = await proxyFor(port)
    const a = await connectVia(f.socketPath, `web.example.com:${port}`)
    const chunks: Buffer[] = []
    a.socket.on('data', (d: Buffer) => chunks.push(d))
    a.socket.resume()
    a.socket.end(data)
    await new Promise((r) => a.socket.once('end', r))
    const got = Buffer.concat(chunks)
    expect(got.length).toBe(30_000_000)
    expect(sha(got)).toBe(sha(data))
    await waitFor(() => received === 30_000_000)
  })
})
