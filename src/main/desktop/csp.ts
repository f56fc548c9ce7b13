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
