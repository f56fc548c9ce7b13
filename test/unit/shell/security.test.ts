import type { Session, WebContents } from 'electron'
import { describe, expect, it, vi } from 'vitest'
import { contentSecurityPolicy } from '../../../src/main/web-assets'
import { appLocation, isAppUrl } from '../../../src/main/desktop/origin'
import {
  guardContents,
  guardSession,
  isSafeExternalUrl,
  secureWebPreferences,
} from '../../../src/main/desktop/security'
import { mainWindowOptions } from '../../../src/main/desktop/window'

type Handler = (...args: never[]) => unknown

/** A web contents that records its event handlers and window-open handler. */
function fakeContents() {
  const handlers = new Map<string, Handler>()
  let openHandler: ((details: { url: string }) => { action: string }) | undefined
  const contents = {
    on: (event: string, handler: Handler) => handlers.set(event, handler),
    setWindowOpenHandler: (handler: (details: { url: string }) => { action: string }) =>
      (openHandler = handler),
  }
  const fire = (name: string, url: string) => {
    const event = { url, preventDefault: vi.fn() }
    const handler = handlers.get(name) as ((e: typeof event, url: string) => void) | undefined
    if (!handler) throw new Error(`no ${name} handler`)
    handler(event, url)
    return event
  }
  const open = (url: string) => openHandler?.({ url })
  return { contents: contents as unknown as WebContents, handlers, fire, open }
}

function fakeSession() {
  const recorded: {
    request?: (
      wc: unknown,
      permission: string,
      cb: (ok: boolean) => void,
      details: { requestingUrl: string },
    ) => void
    check?: (wc: unknown, permission: string, origin: string) => boolean
    device?: () => boolean
    headers?: (
      details: { responseHeaders?: Record<string, string[]> },
      cb: (r: { responseHeaders: Record<string, string[]> }) => void,
    ) => void
  } = {}
  const session = {
    setPermissionRequestHandler: (h: typeof recorded.request) => (recorded.request = h),
    setPermissionCheckHandler: (h: typeof recorded.check) => (recorded.check = h),
    setDevicePermissionHandler: (h: typeof recorded.device) => (recorded.device = h),
    webRequest: { onHeadersReceived: (h: typeof recorded.headers) => (recorded.headers = h) },
  }
  return { session: session as unknown as Session, recorded }
}

const location = appLocation({ isPackaged: true })
const isOurs = (url: string): boolean => isAppUrl(location, url)

describe('window', () => {
  it('isolates and sandboxes the renderer, with no Node and web security on', () => {
    const prefs = mainWindowOptions({ preloadPath: '/app/out/preload/index.cjs' }).webPreferences
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    })
    expect(secureWebPreferences('/p')).toEqual({ ...prefs, preload: '/p' })
    expect(mainWindowOptions({ preloadPath: '/p' }).show).toBe(false)
  })
})

describe('guardContents', () => {
  it('denies navigation and opens https links in the browser instead; other schemes go nowhere', () => {
    const openExternal = vi.fn()
    const { contents, fire } = fakeContents()
    guardContents(contents, { isAppUrl: isOurs, openExternal })
    for (const url of [
      'https://example.com/docs',
      'http://example.com/',
      'file:///etc/passwd',
      'app://codex-sys/x',
    ]) {
      expect(fire('will-navigate', url).preventDefault).toHaveBeenCalled()
    }
    expect(openExternal.mock.calls).toEqual([['https://example.com/docs']])
  })

  it('denies every window.open, handing only https links to the browser', () => {
    const openExternal = vi.fn()
    const { contents, open } = fakeContents()
    guardContents(contents, { isAppUrl: isOurs, openExternal })
    for (const url of [
      'https://github.com/o/r/pull/1',
      'javascript:alert(1)',
      'app://codex-sys/index.html',
    ]) {
      expect(open(url)).toEqual({ action: 'deny' })
    }
    expect(openExternal.mock.calls).toEqual([['https://github.com/o/r/pull/1']])
  })

  it('denies redirects away from the app and every <webview>', () => {
    const { contents, fire } = fakeContents()
    guardContents(contents, { isAppUrl: isOurs, openExternal: vi.fn() })
    expect(fire('will-redirect', 'https://example.com/').preventDefault).toHaveBeenCalled()
    expect(fire('will-redirect', 'app://codex-sys/index.html').preventDefault).not.toHaveBeenCalled()
    expect(fire('will-attach-webview', 'https://example.com/').preventDefault).toHaveBeenCalled()
  })
})

describe('guardSession', () => {
  it('denies permission requests and checks by default; only the app may write the clipboard', () => {
    const { session, recorded } = fakeSession()
    guardSession(session, { isAppUrl: isOurs, csp: contentSecurityPolicy() })
    const request = (permission: string, url: string): boolean => {
      let granted: boolean | undefined
      recorded.request?.({}, permission, (ok) => (granted = ok), { requestingUrl: url })
      if (granted === undefined) throw new Error('the request handler did not answer')
      return granted
    }
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'hid',
    ]) {
      expect(request(permission, 'app://codex-sys/index.html')).toBe(false)
      expect(recorded.check?.({}, permission, 'app://codex-sys')).toBe(false)
    }
    expect(request('clipboard-sanitized-write', 'app://codex-sys/index.html')).toBe(true)
    expect(request('clipboard-sanitized-write', 'https://example.com/')).toBe(false)
    expect(recorded.check?.({}, 'clipboard-sanitized-write', 'app://codex-sys')).toBe(true)
    expect(recorded.check?.({}, 'clipboard-sanitized-write', 'https://example.com')).toBe(false)
    expect(recorded.device?.()).toBe(false)
  })

  it('sends our CSP with every response, replacing any other', () => {
    const { session, recorded } = fakeSession()
    const csp = contentSecurityPolicy()
    guardSession(session, { isAppUrl: isOurs, csp })
    let headers: Record<string, string[]> | undefined
    recorded.headers?.(
      { responseHeaders: { 'content-security-policy': ['default-src *'], 'Content-Type': ['text/html'] } },
      (r) => (headers = r.responseHeaders),
    )
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [csp] })
  })
})

describe('contentSecurityPolicy', () => {
  const directives = (csp: string) =>
    new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    )

  it('allows no remote origin and no eval, in production and in development', () => {
    for (const csp of [contentSecurityPolicy(), contentSecurityPolicy({ dev: true })]) {
      expect(csp).not.toMatch(/unsafe-eval|wasm-unsafe-eval|https?:|wss?:|\*/)
      for (const [name, values] of directives(csp)) {
        for (const value of values)
          expect([`'self'`, `'none'`, `'unsafe-inline'`, 'data:', 'blob:']).toContain(value)
        if (name !== 'style-src' && name !== 'script-src') expect(values).not.toContain(`'unsafe-inline'`)
      }
    }
  })

  it('has scripts from the app alone in production, and workers from the app or blob: for Monaco', () => {
    const csp = directives(contentSecurityPolicy())
    expect(csp.get('default-src')).toEqual([`'self'`])
    expect(csp.get('script-src')).toEqual([`'self'`])
    expect(csp.get('worker-src')).toEqual([`'self'`, 'blob:'])
    expect(csp.get('object-src')).toEqual([`'none'`])
    expect(csp.get('frame-ancestors')).toEqual([`'none'`])
  })
})

describe('isSafeExternalUrl', () => {
  it('accepts https links with a host and nothing hidden', () => {
    expect(isSafeExternalUrl('https://github.com/owner/repo/pull/7')).toBe(true)
    expect(isSafeExternalUrl('https://docs.docker.com/engine/install/?x=1#y')).toBe(true)
  })

  it('refuses other schemes, credentials, control characters and oversized links', () => {
    for (const url of [
      'http://github.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'app://codex-sys/index.html',
      'https://user:pass@github.com/',
      'https://token@github.com/',
      'https://github.com/\nfoo',
      ' https://github.com/',
      `https://github.com/${'a'.repeat(3000)}`,
      'not a url',
      '',
    ]) {
      expect(isSafeExternalUrl(url), url).toBe(false)
    }
  })
})

describe('appLocation', () => {
  it('loads the app protocol when packaged or without a dev server, and the dev server in development', () => {
    expect(appLocation({ isPackaged: true, devServerUrl: 'http://localhost:5173/' })).toMatchObject({
      entryUrl: 'app://codex-sys/index.html',
      dev: false,
    })
    expect(appLocation({ isPackaged: false })).toMatchObject({ entryUrl: 'app://codex-sys/index.html' })
    const dev = appLocation({ isPackaged: false, devServerUrl: 'http://localhost:5173' })
    expect(dev).toMatchObject({ entryUrl: 'http://localhost:5173/', dev: true })
    expect(isAppUrl(dev, 'http://localhost:5173/#/new')).toBe(true)
    expect(isAppUrl(dev, 'http://localhost:5174/')).toBe(false)
    expect(isAppUrl(dev, 'app://codex-sys/index.html')).toBe(false)
    expect(appLocation({ isPackaged: false, devServerUrl: 'file:///x' }).dev).toBe(false)
  })

  it('recognises its own pages by scheme and host', () => {
    expect(isOurs('app://codex-sys/index.html#/task/1')).toBe(true)
    expect(isOurs('app://codex-sys')).toBe(true)
    expect(isOurs('app://other/index.html')).toBe(false)
    expect(isOurs('https://codex-sys/')).toBe(false)
    expect(isOurs('garbage')).toBe(false)
  })
})
