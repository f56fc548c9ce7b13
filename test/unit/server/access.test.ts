import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  checkTokenShape,
  createAccessPolicy,
  generateToken,
  isLoopbackHost,
  normalizeOrigin,
} from '../../../src/main/server/access'

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage
const status = (fn: () => void): number | 'ok' => {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return (err as { status: number }).status
  }
}

describe('the access policy', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopbackHost(host)).toBe(true)
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com', '127.0.0.1.evil.test']) {
      expect(isLoopbackHost(host)).toBe(false)
    }
  })

  it('on loopback, accepts only Host headers naming loopback with our port', () => {
    const policy = createAccessPolicy({ host: '127.0.0.1', port: () => 8080, token: 'secret-token-123456' })
    expect(status(() => policy.checkHost(req({ host: '127.0.0.1:8080' })))).toBe('ok')
    expect(status(() => policy.checkHost(req({ host: 'LOCALHOST:8080' })))).toBe('ok')
    expect(status(() => policy.checkHost(req({ host: '[::1]:8080' })))).toBe('ok')
    for (const host of ['127.0.0.1', 'localhost:8081', 'rebind.evil.test:8080', '']) {
      expect(status(() => policy.checkHost(req({ host })))).toBe(403)
    }
  })

  it('requires the token on loopback too, unless told explicitly to need none', () => {
    const policy = createAccessPolicy({ host: '127.0.0.1', port: () => 8080, token: 'secret-token-123456' })
    expect(status(() => policy.checkAuth(req({})))).toBe(401)
    expect(status(() => policy.checkAuth(req({ authorization: 'Bearer secret-token-123456' })))).toBe('ok')
    const open = createAccessPolicy({ host: '127.0.0.1', port: () => 8080, token: null })
    expect(open.token).toBeNull()
    expect(status(() => open.checkAuth(req({})))).toBe('ok')
    expect(status(() => open.tokenVisit('anything-at-all-123'))).toBe(401)
    for (const host of ['0.0.0.0', '::', '192.168.1.2']) {
      expect(() => createAccessPolicy({ host, port: () => 8080, token: null })).toThrow(
        `A server bound to ${host} must require its access token.`,
      )
    }
  })

  it('takes tokens of 16 to 512 visible ASCII characters, and generates such tokens', () => {
    for (const token of [
      'short',
      'x'.repeat(513),
      'has a space in it ok',
      'tab\tinside-the-token',
      'ünïcödé-tøkens-nö',
    ]) {
      expect(() => checkTokenShape(token), token).toThrow(/16 to 512 visible ASCII/)
      expect(() => createAccessPolicy({ host: '127.0.0.1', port: () => 1, token })).toThrow()
    }
    expect(() => checkTokenShape('0123456789abcdef')).not.toThrow()
    const a = generateToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(generateToken()).not.toBe(a)
    expect(() => checkTokenShape(a)).not.toThrow()
  })

  it('refuses an API call that carries the token in its address, right or wrong', () => {
    const policy = createAccessPolicy({ host: '127.0.0.1', port: () => 8080, token: 'secret-token-123456' })
    const auth = req({ authorization: 'Bearer secret-token-123456' })
    expect(status(() => policy.checkApiAuth(auth, new URLSearchParams('')))).toBe('ok')
    expect(status(() => policy.checkApiAuth(req({}), new URLSearchParams('')))).toBe(401)
    expect(status(() => policy.checkApiAuth(auth, new URLSearchParams('token=secret-token-123456')))).toBe(
      400,
    )
    expect(status(() => policy.checkApiAuth(req({}), new URLSearchParams('token=secret-token-123456')))).toBe(
      400,
    )
  })

  it('with a token, wants it as a bearer header or cookie', () => {
    const policy = createAccessPolicy({ host: '0.0.0.0', port: () => 8080, token: 'secret-token-123456' })
    expect(status(() => policy.checkHost(req({ host: 'my-machine.lan:8080' })))).toBe('ok')
    expect(status(() => policy.checkAuth(req({})))).toBe(401)
    expect(status(() => policy.checkAuth(req({ authorization: 'Bearer secret-token-123456' })))).toBe('ok')
    expect(status(() => policy.checkAuth(req({ authorization: 'Bearer secret-token-12345' })))).toBe(401)
    expect(status(() => policy.checkAuth(req({ authorization: 'Basic secret-token-123456' })))).toBe(401)
    const cookie = (value: string) => status(() => policy.checkAuth(req({ cookie: value })))
    expect(cookie('a=b; codex_sys_token_8080=secret-token-123456')).toBe('ok')
    expect(cookie('codex_sys_token_8080=nope')).toBe(401)
    expect(cookie('codex_sys_token_8080=%E0%A4%A')).toBe(401)
    // Cookies are not kept apart by port: another port's server's cookie is not ours.
    expect(cookie('codex_sys_token_9090=secret-token-123456')).toBe(401)
    expect(cookie('codex_sys_token=secret-token-123456')).toBe(401)
    expect(status(() => policy.tokenVisit('nope'))).toBe(401)
    expect(policy.tokenVisit('secret-token-123456')).toBe('secret-token-123456')
    expect(policy.cookieHeader()).toBe(
      'codex_sys_token_8080=secret-token-123456; Path=/; HttpOnly; SameSite=Strict',
    )
  })

  it('lets state changes through only with the custom header, from our own origin', () => {
    const policy = createAccessPolicy({ host: '127.0.0.1', port: () => 8080, token: 'secret-token-123456' })
    const host = '127.0.0.1:8080'
    const write = (headers: Record<string, string>, seedForm = false) =>
      status(() => policy.checkWrite(req({ host, ...headers }), { seedForm }))
    expect(write({ 'x-codex-sys': '1' })).toBe('ok')
    expect(
      write({ 'x-codex-sys': '1', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }),
    ).toBe('ok')
    expect(write({})).toBe(403)
    expect(write({ 'x-codex-sys': '1', origin: 'http://evil.test' })).toBe(403)
    expect(write({ 'x-codex-sys': '1', origin: 'null' })).toBe(403)
    expect(write({ 'x-codex-sys': '1', 'sec-fetch-site': 'same-site' })).toBe(403)
    // The seed's form: plain clients (curl) pass; a cross-site form post never does.
    expect(write({}, true)).toBe('ok')
    expect(write({ origin: 'http://evil.test' }, true)).toBe(403)
    expect(write({ 'sec-fetch-site': 'cross-site' }, true)).toBe(403)
  })

  it('takes origins for --allow-origin as browsers send them, and nothing that is not one', () => {
    expect(normalizeOrigin('http://localhost:8000')).toBe('http://localhost:8000')
    expect(normalizeOrigin('http://localhost:8000/')).toBe('http://localhost:8000')
    expect(normalizeOrigin('HTTP://LocalHost:8000')).toBe('http://localhost:8000')
    expect(normalizeOrigin('https://example.org:443')).toBe('https://example.org')
    for (const bad of [
      '*',
      'null',
      '',
      'localhost:8000',
      'http://localhost:8000/app',
      'file:///tmp',
      'http://user:pw@localhost:8000',
      'http://localhost:8000?x=1',
      'ftp://example.org',
    ]) {
      expect(() => normalizeOrigin(bad), bad).toThrow(/is not an origin/)
    }
  })

  it('names a listed origin only when the request comes from exactly it', () => {
    const policy = createAccessPolicy({
      host: '127.0.0.1',
      port: () => 8080,
      token: null,
      allowOrigins: ['http://localhost:8000'],
    })
    expect(policy.allowedOrigin(req({ origin: 'http://localhost:8000' }))).toBe('http://localhost:8000')
    for (const origin of [
      'http://localhost:8001',
      'https://localhost:8000',
      'null',
      'http://localhost:80000',
    ]) {
      expect(policy.allowedOrigin(req({ origin }))).toBeUndefined()
    }
    expect(policy.allowedOrigin(req({}))).toBeUndefined()
    // Its seed form posts pass the CSRF check; nothing else of it does.
    const listed = { origin: 'http://localhost:8000', 'sec-fetch-site': 'cross-site' }
    expect(status(() => policy.checkWrite(req(listed), { seedForm: true }))).toBe('ok')
    expect(status(() => policy.checkWrite(req({ ...listed, 'x-codex-sys': '1' }), { seedForm: false }))).toBe(
      403,
    )
    const other = { origin: 'http://localhost:8001', 'sec-fetch-site': 'cross-site' }
    expect(status(() => policy.checkWrite(req(other), { seedForm: true }))).toBe(403)
  })
})
