import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createAccessPolicy, isLoopbackHost } from '../../../src/main/server/access'

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
    const policy = createAccessPolicy({ host: '127.0.0.1', port: () => 8080 })
    expect(status(() => policy.checkHost(req({ host: '127.0.0.1:8080' })))).toBe('ok')
    expect(status(() => policy.checkHost(req({ host: 'LOCALHOST:8080' })))).toBe('ok')
    expect(status(() => policy.checkHost(req({ host: '[::1]:8080' })))).toBe('ok')
    for (const host of ['127.0.0.1', 'localhost:8081', 'rebind.evil.test:8080', '']) {
      expect(status(() => policy.checkHost(req({ host })))).toBe(403)
    }
    expect(status(() => policy.checkAuth(req({})))).toBe('ok')
  })

  it('with a token, wants it as a bearer header or cookie', () => {
    const policy = createAccessPolicy({ host: '0.0.0.0', port: () => 8080, token: 'secret-token-123456' })
    expect(status(() => policy.checkHost(req({ host: 'my-machine.lan:8080' })))).toBe('ok')
    expect(status(() => policy.checkAuth(req({})))).toBe(401)
    expect(status(() => policy.checkAuth(req({ authorization: 'Bearer secret-token-123456' })))).toBe('ok')
    expect(status(() => policy.checkAuth(req({ authorization: 'Bearer secret-token-12345' })))).toBe(401)
    expect(status(() => policy.checkAuth(req({ authorization: 'Basic secret-token-123456' })))).toBe(401)
    expect(status(() => policy.checkAuth(req({ cookie: 'a=b; codex_sys_token=secret-token-123456' })))).toBe(
      'ok',
    )
    expect(status(() => policy.checkAuth(req({ cookie: 'codex_sys_token=nope' })))).toBe(401)
    expect(status(() => policy.tokenVisit('nope'))).toBe(401)
    expect(policy.tokenVisit('secret-token-123456')).toBe('secret-token-123456')
    expect(policy.cookieHeader()).toBe(
      'codex_sys_token=secret-token-123456; Path=/; HttpOnly; SameSite=Strict',
    )
  })

  it('lets state changes through only with the custom header, from our own origin', () => {
    const policy = createAccessPolicy({ host: '127.0.0.1', port: () => 8080 })
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
})
