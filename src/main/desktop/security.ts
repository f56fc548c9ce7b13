import type { Session, WebContents, WebPreferences } from 'electron'

/** The renderer's web preferences: isolated, sandboxed, no Node, same-origin policy on. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  }
}

const MAX_EXTERNAL_URL = 2048

/** Links the app may hand to the OS: https only, with a host, without credentials or control characters. */
export function isSafeExternalUrl(raw: string): boolean {
  // eslint-disable-next-line no-control-regex
  if (raw.length > MAX_EXTERNAL_URL || /[\s\u0000-\u001f\u007f]/.test(raw)) return false
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === ''
}

/**
 * Locks a web contents in place: no navigation away (links to https sites open in the browser instead), no
 * redirect outside the app, no new windows, no <webview>.
 */
export function guardContents(
  contents: WebContents,
  opts: { isAppUrl: (url: string) => boolean; openExternal: (url: string) => void },
): void {
  const openOutside = (url: string): void => {
    if (isSafeExternalUrl(url)) opts.openExternal(url)
  }
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url)
    return { action: 'deny' }
  })
  // In-page navigation (the hash routes) never raises will-navigate; anything else leaves the app.
  contents.on('will-navigate', (event) => {
    event.preventDefault()
    openOutside(event.url)
  })
  contents.on('will-redirect', (event) => {
    if (!opts.isAppUrl(event.url)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

/** Permissions the app's own page may use: copying to the clipboard. Everything else is denied. */
const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write'])

/** Denies permission requests and checks by default, and sends the CSP with every response. */
export function guardSession(
  session: Session,
  opts: { isAppUrl: (url: string) => boolean; csp: string },
): void {
  const allowed = (permission: string, url: string): boolean =>
    ALLOWED_PERMISSIONS.has(permission) && opts.isAppUrl(url)
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(allowed(permission, details.requestingUrl)),
  )
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    allowed(permission, requestingOrigin),
  )
  session.setDevicePermissionHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(
        ([name]) => name.toLowerCase() !== 'content-security-policy',
      ),
    )
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [opts.csp] } })
  })
}
