import { mkdtemp, readFile, rm, mkdir, copyFile, writeFile } from 'node:fs/promises'
import { createServer, get, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { CONTENT_SECURITY_POLICY, StaticFiles } from '../../../src/main/server/static-files'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const rendererDir = join(root, 'src/renderer')
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** The `href` of the page's `<link rel="icon">`, or undefined. */
async function iconHref(): Promise<string | undefined> {
  const html = await readFile(join(rendererDir, 'index.html'), 'utf8')
  const link = html.match(/<link\b[^>]*\brel="icon"[^>]*>/)?.[0]
  return link?.match(/\bhref="([^"]+)"/)?.[1]
}

test('the page links the app icon as its favicon, and the CSP lets it load', async () => {
  const href = await iconHref()
  expect(href).toBeDefined()
  // Vite resolves the link from the page's folder and emits the file under /assets (same origin).
  const icon = await readFile(resolve(rendererDir, href!))
  expect(icon.subarray(0, 8).equals(PNG)).toBe(true)
  expect(icon.equals(await readFile(join(root, 'resources/icon.png')))).toBe(true)
  expect(CONTENT_SECURITY_POLICY).toMatch(/img-src 'self'/)
})

let dir: string
let server: Server
let base: string
beforeAll(async () => {
  // The built layout: Vite writes the linked icon as /assets/icon-<hash>.png.
  dir = await mkdtemp(join(tmpdir(), 'favicon-'))
  await mkdir(join(dir, 'assets'))
  await copyFile(join(root, 'resources/icon.png'), join(dir, 'assets/icon-Ab12.png'))
  await writeFile(
    join(dir, 'index.html'),
    '<link rel="icon" type="image/png" href="/assets/icon-Ab12.png" />',
  )
  const files = await StaticFiles.open(dir)
  server = createServer((req, res) => void files.serve(req, res, req.url ?? '/'))
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((done) => server.close(done))
  await rm(dir, { recursive: true, force: true })
})

test('the server serves the linked icon as image/png', async () => {
  const { status, type, body } = await new Promise<{ status?: number; type?: string; body: Buffer }>(
    (done, fail) =>
      get(`${base}/assets/icon-Ab12.png`, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          done({ status: res.statusCode, type: res.headers['content-type'], body: Buffer.concat(chunks) }),
        )
      }).on('error', fail),
  )
  expect(status).toBe(200)
  expect(type).toBe('image/png')
  expect(body.subarray(0, 8).equals(PNG)).toBe(true)
})
