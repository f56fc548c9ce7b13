/**
 * What every host of the renderer's files serves them with: the desktop app's app:// protocol and the
 * headless server alike.
 */

/**
 * The Content-Security-Policy of the app's pages: nothing from another origin, no eval. Monaco needs inline
 * styles, data: fonts and workers from 'self' or blob:. Under the dev server, React's refresh preamble is an
 * inline script, so development alone allows inline scripts (never eval).
 */
export function contentSecurityPolicy(opts: { dev?: boolean } = {}): string {
  return [
    "default-src 'self'",
    opts.dev ? "script-src 'self' 'unsafe-inline'" : "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "media-src 'none'",
    "object-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
}

/** The Content-Type of a built file, by its extension. */
export function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.')
  return (dot >= 0 && MIME_TYPES[path.slice(dot).toLowerCase()]) || 'application/octet-stream'
}
