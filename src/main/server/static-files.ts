import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pipeline } from 'node:stream/promises'
import { contentSecurityPolicy, contentTypeOf } from '../web-assets'
import { HttpError } from './http-io'

/** The built renderer in this checkout (`npm run build` writes it). */
export const defaultRendererDir = (): string =>
  fileURLToPath(new URL('../../../out/renderer', import.meta.url))

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy()

const MAX_FILES = 20_000

/**
 * The built renderer, indexed once: URL path → file. Requests are looked up in this map, so no request
 * text ever becomes part of a file system path.
 */
export class StaticFiles {
  private constructor(
    private readonly files: Map<string, string>,
    readonly dir: string,
  ) {}

  static async open(dir: string): Promise<StaticFiles> {
    const files = new Map<string, string>()
    const walk = async (abs: string, url: string): Promise<void> => {
      const entries = await readdir(abs, { withFileTypes: true }).catch(() => [])
      for (const entry of entries) {
        if (files.size >= MAX_FILES) return
        if (entry.isDirectory()) await walk(join(abs, entry.name), `${url}${entry.name}/`)
        else if (entry.isFile()) files.set(`${url}${entry.name}`, join(abs, entry.name))
      }
    }
    await walk(dir, '/')
    return new StaticFiles(files, dir)
  }

  /** Serves a GET/HEAD for the page or one of its assets; paths without an extension get index.html. */
  async serve(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    let path: string
    try {
      path = decodeURIComponent(rawPath)
    } catch {
      throw new HttpError(400, 'invalid_input', 'The address is malformed.')
    }
    let file = this.files.get(path)
    let url = path
    if (!file && (path === '/' || !extname(path))) {
      url = '/index.html'
      file = this.files.get(url)
      if (!file) {
        throw new HttpError(503, 'not_found', 'The web UI is not built.', {
          hint: 'Run `npm run build` (npm run serve does it for you), then reload.',
        })
      }
    }
    if (!file) throw new HttpError(404, 'not_found', 'There is no such file.')
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) throw new HttpError(404, 'not_found', 'There is no such file.')
    const headers: Record<string, string | number> = {
      'content-type': contentTypeOf(url),
      'content-length': info.size,
      'cache-control': url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    }
    if (url.endsWith('.html')) {
      headers['content-security-policy'] = CONTENT_SECURITY_POLICY
      headers['cache-control'] = 'no-store'
    }
    res.writeHead(200, headers)
    if (req.method === 'HEAD' || info.size === 0) return void res.end()
    await pipeline(createReadStream(file, { start: 0, end: info.size - 1 }), res)
  }
}
