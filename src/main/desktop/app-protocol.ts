import { readFile, realpath, stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { Protocol } from 'electron'
import { contentTypeOf } from '../web-assets'
import { APP_HOST, APP_SCHEME } from './origin'

/**
 * `app://` behaves like https for the page (standard and secure: relative URLs, storage, module scripts and
 * workers from 'self'); it does not bypass the CSP and registers no service workers. Call before `ready`.
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true },
    },
  ])
}

/** Serves the built renderer (`out/renderer`) on `app://codex-sys/`. */
export function serveAppFiles(protocol: Pick<Protocol, 'handle'>, rootDir: string, csp: string): void {
  protocol.handle(APP_SCHEME, createAppFileHandler(rootDir, csp))
}

/** The request handler behind `app://`: GET/HEAD of files under rootDir only, with the CSP on every page. */
export function createAppFileHandler(rootDir: string, csp: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed')
    const file = await resolveAppFile(rootDir, request.url)
    if (!file) return plain(404, 'Not found')
    const body = request.method === 'HEAD' ? null : new Uint8Array(await readFile(file))
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': contentTypeOf(file),
        'Content-Security-Policy': csp,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-cache',
      },
    })
  }
}

/**
 * The file an `app://codex-sys/…` URL names, or null: other hosts, encoded NULs, paths leaving rootDir
 * (`..`, absolute, or through a symbolic link) and anything that is not a regular file are refused.
 */
export async function resolveAppFile(rootDir: string, url: string): Promise<string | null> {
  let parsed: URL
  let pathname: string
  try {
    parsed = new URL(url)
    pathname = decodeURIComponent(parsed.pathname)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null
  if (pathname.includes('\0') || pathname.includes('\\')) return null
  const wanted = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '')
  try {
    const root = await realpath(rootDir)
    const full = resolve(root, wanted)
    if (!inside(root, full)) return null
    const real = await realpath(full)
    if (!inside(root, real) || !(await stat(real)).isFile()) return null
    return real
  } catch {
    return null
  }
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
