/** Where the app's own pages come from: `app://codex-sys/` when built, the dev server under `electron-vite dev`. */
export const APP_SCHEME = 'app'
export const APP_HOST = 'codex-sys'

export interface AppLocation {
  /** The URL the window loads. */
  entryUrl: string
  /** `protocol` and `host` of every URL of ours (a custom scheme has no WHATWG origin, so compare these). */
  protocol: string
  host: string
  dev: boolean
}

/** The dev server's URL when electron-vite runs one and the app is not packaged; the app protocol otherwise. */
export function appLocation(opts: { devServerUrl?: string; isPackaged: boolean }): AppLocation {
  const dev = opts.devServerUrl && !opts.isPackaged ? parseUrl(opts.devServerUrl) : undefined
  if (dev && (dev.protocol === 'http:' || dev.protocol === 'https:')) {
    return { entryUrl: dev.href, protocol: dev.protocol, host: dev.host, dev: true }
  }
  return {
    entryUrl: `${APP_SCHEME}://${APP_HOST}/index.html`,
    protocol: `${APP_SCHEME}:`,
    host: APP_HOST,
    dev: false,
  }
}

/** True when `url` (a full URL or an origin) is one of the app's own pages. */
export function isAppUrl(location: AppLocation, url: string): boolean {
  const parsed = parseUrl(url)
  return parsed !== undefined && parsed.protocol === location.protocol && parsed.host === location.host
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}
