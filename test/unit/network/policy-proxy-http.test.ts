import https from 'node:https'
import { describe, expect, it, onTestFinished } from 'vitest'
import { parseProxyUrl } from '../../../src/main/network/upstream-proxy'
import { makeTestServerCert } from '../../support/test-cert'
import { tempDir } from '../../support/tmp'
import {
  closedAfterTest,
  closeServer,
  connectVia,
  httpVia,
  listen,
  rawRequest,
  readText,
  run,
  startEcho,
  startHttpTarget,
  startUpstream,
  tcpRelay,
  unixAgent,
} from './proxy-helpers'
import { custom, startProxy } from './proxy-fixture'

const origin = closedAfterTest(startHttpTarget)
const proxy = closedAfterTest(startProxy)
const echo = closedAfterTest(startEcho)
const upstreamProxy = closedAfterTest(startUpstream)
const relayTo = closedAfterTest(tcpRelay)
const LOCAL = { names: { 'web.example.com': ['127.0.0.1'] }, trusted: ['127.0.0.1'] }

describe('the policy proxy: plain HTTP', () => {
  it('forwards an absolute-form request without hop-by-hop and Proxy-* headers', async () => {
    const t = await origin()
    const f = await proxy({ phase: custom([`web.example.com:${t.port}`]), ...LOCAL })
    const res = await httpVia(f.socketPath, `http://web.example.com:${t.port}/a/b?c=1`, {
      headers: {
        'Proxy-Authorization': 'Basic c2VjcmV0',
        'Proxy-Connection': 'keep-alive',
        Connection: 'keep-alive, X-Drop',
        'X-Drop': 'gone',
        'X-Keep': 'kept',
      },
    })
    expect(res.status).toBe(200)
    expect(res.body).toBe('ok GET /a/b?c=1')
    expect(res.headers['x-origin']).toBe('yes')
    expect(res.headers['keep-alive']).not.toBe('timeout=5') // the origin's, not passed on
    const seen = t.requests[0]
    expect(seen?.url).toBe('/a/b?c=1')
    expect(seen?.headers.host).toBe(`web.example.com:${t.port}`)
    expect(seen?.headers['x-keep']).toBe('kept')
    for (const h of ['proxy-authorization', 'proxy-connection', 'x-drop'])
      expect(seen?.headers[h]).toBeUndefined()
    expect(f.proxy.stats.allowed).toBe(1)
  })

  it('keeps the client connection alive across requests and pools the origin connection', async () => {
    const t = await origin()
    const f = await proxy({ phase: custom([`web.example.com:${t.port}`]), ...LOCAL })
    const agent = unixAgent(f.socketPath)
    onTestFinished(() => agent.destroy())
    for (const path of ['/1', '/2', '/3']) {
      const res = await httpVia(f.socketPath, `http://web.example.com:${t.port}${path}`, { agent })
      expect(res.body).toBe(`ok GET ${path}`)
    }
    expect(agent.opened).toBe(1)
    expect(t.connections).toBe(1)
  })

  it('forwards a chunked request body', async () => {
    const t = await origin()
    const f = await proxy({ phase: custom([`web.example.com:${t.port}`]), ...LOCAL })
    const a = await rawRequest(
      f.socketPath,
      `POST http://web.example.com:${t.port}/upload HTTP/1.1\r\nHost: web.example.com:${t.port}\r\n` +
        'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    )
    expect(a.status).toBe(200)
    expect(t.requests[0]?.body).toBe('hello world')
  })

  it('read-only: refuses POST with a block event and lets GET through', async () => {
    const t = await origin()
    const f = await proxy({ phase: custom([`web.example.com:${t.port}`], true), ...LOCAL })
    const post = await httpVia(f.socketPath, `http://web.example.com:${t.port}/x`, {
      method: 'POST',
      body: 'data',
    })
    expect(post.status).toBe(403)
    expect(post.body).toBe(`codex-sys: blocked web.example.com:${t.port} — read-only: POST is not allowed\n`)
    expect(f.blocks).toEqual([
      {
        phase: 'setup',
        host: 'web.example.com',
        port: t.port,
        method: 'POST',
        rule: 'read-only: POST is not allowed',
        count: 1,
      },
    ])
    expect(t.requests).toEqual([])
    expect((await httpVia(f.socketPath, `http://web.example.com:${t.port}/x`)).status).toBe(200)
  })

  it('refuses a plain HTTP name that resolves inside, without dialling', async () => {
    const t = await origin()
    const f = await proxy({
      phase: custom([`web.example.com:${t.port}`]),
      names: { 'web.example.com': ['127.0.0.1'] },
    })
    const res = await httpVia(f.socketPath, `http://web.example.com:${t.port}/`)
    expect(res.status).toBe(403)
    expect(res.body).toContain('resolves to a loopback address (127.0.0.1)')
    expect(f.dials).toEqual([])
    expect(t.connections).toBe(0)
  })

  it('answers 400 to origin-form requests, https:// absolute-form and upgrades, with no event', async () => {
    const f = await proxy({ phase: custom(['web.example.com']), ...LOCAL })
    const origin = await rawRequest(f.socketPath, 'GET /index.html HTTP/1.1\r\nHost: web.example.com\r\n\r\n')
    expect(origin.status).toBe(400)
    expect(origin.body).toMatch(/send absolute-form requests/)
    const secure = await rawRequest(
      f.socketPath,
      'GET https://web.example.com/ HTTP/1.1\r\nHost: web.example.com\r\n\r\n',
    )
    expect(secure.status).toBe(400)
    const upgrade = await rawRequest(
      f.socketPath,
      'GET http://web.example.com/ HTTP/1.1\r\nHost: web.example.com\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    )
    expect(upgrade.status).toBe(400)
    expect(f.blocks).toEqual([])
  })
})

describe('the policy proxy with curl (through a TCP → unix relay, as in the container)', () => {
  it('curl: HTTPS through CONNECT, plain HTTP, and a refusal curl reports', async () => {
    const cert = makeTestServerCert(await tempDir('codex-net-'), 'tls.example.com')
    const tlsServer = https.createServer({ key: cert.key, cert: cert.cert }, (_req, res) =>
      res.end('secure hello'),
    )
    const tlsPort = await listen(tlsServer)
    onTestFinished(() => closeServer(tlsServer))
    const t = await origin()
    const f = await proxy({
      phase: custom([`tls.example.com:${tlsPort}`, `web.example.com:${t.port}`]),
      names: { 'tls.example.com': ['127.0.0.1'], 'web.example.com': ['127.0.0.1'] },
      trusted: ['127.0.0.1'],
    })
    const relay = await relayTo(f.socketPath)
    const proxyArg = ['--proxy', `http://127.0.0.1:${relay.port}`, '--noproxy', '', '-sS', '--max-time', '10']
    const secure = await run('curl', [
      ...proxyArg,
      '--cacert',
      cert.certFile,
      `https://tls.example.com:${tlsPort}/`,
    ])
    expect(secure.stdout).toBe('secure hello')
    const plain = await run('curl', [...proxyArg, `http://web.example.com:${t.port}/p`])
    expect(plain.stdout).toBe('ok GET /p')
    const refused = await run('curl', [...proxyArg, '-o', '/dev/null', 'https://blocked.example.org/']).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect((refused as { code: number }).code).toBe(56)
    expect((refused as { stderr: string }).stderr).toMatch(/403/)
    const body = await run('curl', [...proxyArg, 'http://blocked.example.org/'])
    expect(body.stdout).toBe("codex-sys: blocked blocked.example.org:80 — not in this task's allowlist\n")
    expect(f.blocks.map((b) => `${b.host}:${b.port} ${b.method}`)).toEqual([
      'blocked.example.org:443 CONNECT',
      'blocked.example.org:80 GET',
    ])
  })
})

describe('the policy proxy through the host proxy (upstream)', () => {
  it('tunnels to the checked address with the credentials, and refuses rebinding before the upstream', async () => {
    const up = await upstreamProxy({ requireAuth: `Basic ${Buffer.from('me:pw').toString('base64')}` })
    const target = await echo()
    const f = await proxy({
      phase: custom([`via.example.com:${target.port}`, `inside.example.com:${target.port}`]),
      names: { 'via.example.com': ['127.0.0.1'], 'inside.example.com': ['127.0.0.1'] },
      // Our echo server is trusted for via.example.com only through trustAddress; inside.example.com's
      // 127.0.0.1 is the same address, so trust it only while the first request runs.
      trusted: ['127.0.0.1'],
      upstream: parseProxyUrl(`http://me:pw@127.0.0.1:${up.port}`),
    })
    const a = await connectVia(f.socketPath, `via.example.com:${target.port}`)
    expect(a.status).toBe(200)
    a.socket.write('x')
    a.socket.end()
    expect(await readText(a.socket)).toBe('xbye')
    expect(up.connects).toEqual([
      { target: `127.0.0.1:${target.port}`, auth: `Basic ${Buffer.from('me:pw').toString('base64')}` },
    ])
    expect(f.dials).toEqual([])
  })

  it('never lets 127.0.0.1 through as a destination, even though the upstream lives there', async () => {
    const up = await upstreamProxy()
    const f = await proxy({
      phase: custom(['inside.example.com']),
      names: { 'inside.example.com': ['127.0.0.1'] },
      upstream: parseProxyUrl(`http://127.0.0.1:${up.port}`),
    })
    const a = await connectVia(f.socketPath, 'inside.example.com:443')
    expect(a.status).toBe(403)
    expect(a.body).toContain('resolves to a loopback address (127.0.0.1)')
    expect(up.connects).toEqual([])
  })

  it("uses the host's HTTPS_PROXY/NO_PROXY when no upstream is given", async () => {
    const target = await echo()
    const up = await upstreamProxy()
    const saved = { https: process.env.HTTPS_PROXY, no: process.env.NO_PROXY }
    process.env.HTTPS_PROXY = `http://127.0.0.1:${up.port}`
    process.env.NO_PROXY = 'direct.example.com'
    onTestFinished(() => {
      for (const [k, v] of [
        ['HTTPS_PROXY', saved.https],
        ['NO_PROXY', saved.no],
      ] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    })
    const f = await proxy({
      phase: custom([`env.example.com:${target.port}`, `direct.example.com:${target.port}`]),
      names: { 'env.example.com': ['127.0.0.1'], 'direct.example.com': ['127.0.0.1'] },
      trusted: ['127.0.0.1'],
      upstream: undefined,
    })
    for (const name of ['env.example.com', 'direct.example.com']) {
      const a = await connectVia(f.socketPath, `${name}:${target.port}`)
      expect(a.status).toBe(200)
      a.socket.destroy()
    }
    expect(up.connects.map((c) => c.target)).toEqual([`127.0.0.1:${target.port}`])
    expect(f.dials).toEqual([`127.0.0.1:${target.port}`])
  })

  it('lets the upstream resolve a name that does not resolve here', async () => {
    const target = await echo()
    const up = await upstreamProxy({ names: ['far.example.com'] })
    const f = await proxy({
      phase: custom([`far.example.com:${target.port}`]),
      upstream: (host) => (host === 'far.example.com' ? parseProxyUrl(`http://127.0.0.1:${up.port}`) : null),
    })
    const a = await connectVia(f.socketPath, `far.example.com:${target.port}`)
    expect(a.status).toBe(200)
    a.socket.destroy()
    expect(up.connects.map((c) => c.target)).toEqual([`far.example.com:${target.port}`])
  })

  it('sends plain HTTP through a CONNECT tunnel of the upstream, and reports its refusal as 502', async () => {
    const t = await origin()
    const up = await upstreamProxy()
    const f = await proxy({
      phase: custom([`web.example.com:${t.port}`, 'refused.example.com']),
      names: { 'web.example.com': ['127.0.0.1'], 'refused.example.com': ['192.0.2.10'] },
      trusted: ['127.0.0.1'],
      upstream: parseProxyUrl(`http://127.0.0.1:${up.port}`),
    })
    const res = await httpVia(f.socketPath, `http://web.example.com:${t.port}/via`)
    expect(res.body).toBe('ok GET /via')
    expect(up.connects.map((c) => c.target)).toEqual([`127.0.0.1:${t.port}`])
    // 192.0.2.10 (documentation range, allowed by default) goes to the upstream, which refuses it.
    const refused = await connectVia(f.socketPath, 'refused.example.com:443')
    expect(refused.status).toBe(502)
    expect(refused.body).toBe(
      `codex-sys: refused.example.com:443 — the host's proxy http://127.0.0.1:${up.port} answered 502 Bad Gateway\n`,
    )
    expect(f.dials).toEqual([])
  })
})

describe('the policy proxy: large transfers', () => {
  it('moves 100 MB intact through a CONNECT tunnel and a plain HTTP request (speed: npm run bench)', async () => {
    const t = await origin()
    const f = await proxy({ phase: custom([`web.example.com:${t.port}`]), ...LOCAL })
    const relay = await relayTo(f.socketPath)
    const url = `http://web.example.com:${t.port}/big?bytes=${100 * 1024 * 1024}`
    const size = async (extra: string[]): Promise<number> =>
      Number((await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', ...extra])).stdout)
    expect(await size(['--proxy', `http://127.0.0.1:${relay.port}`, url])).toBe(104857600)
    expect(await size(['--proxytunnel', '--proxy', `http://127.0.0.1:${relay.port}`, url])).toBe(104857600)
  })
})
