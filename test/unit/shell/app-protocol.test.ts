import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  createAppFileHandler,
  registerAppScheme,
  resolveAppFile,
  serveAppFiles,
} from '../../../src/main/desktop/app-protocol'
import { contentSecurityPolicy } from '../../../src/main/web-assets'
import { tempDir } from '../../support/tmp'

/** A built renderer next to a secret it must never serve. */
async function builtRenderer() {
  const base = await tempDir('codex-app-protocol-')
  const root = join(base, 'renderer')
  await mkdir(join(root, 'assets'), { recursive: true })
  await writeFile(join(root, 'index.html'), '<!doctype html><title>codex-sys</title>')
  await writeFile(join(root, 'assets', 'index-abc.js'), 'console.log(1)')
  await writeFile(join(root, 'assets', 'editor.worker-1.js'), 'self.onmessage = () => {}')
  await writeFile(join(root, 'assets', 'codicon.ttf'), Buffer.from([0, 1, 0, 0]))
  await writeFile(join(base, 'secret.txt'), 'api key')
  await symlink(join(base, 'secret.txt'), join(root, 'assets', 'link.txt'))
  await symlink(base, join(root, 'up'))
  return { base, root }
}

describe('app:// protocol', () => {
  it('is registered standard and secure, without bypassing the CSP or allowing service workers', () => {
    const registerSchemesAsPrivileged = vi.fn((_schemes: unknown[]) => undefined)
    registerAppScheme({ registerSchemesAsPrivileged })
    const schemes = registerSchemesAsPrivileged.mock.calls[0]?.[0] as Array<{
      privileges: Record<string, boolean>
    }>
    expect(schemes).toEqual([
      {
        scheme: 'app',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      },
    ])
    expect(schemes[0]?.privileges.bypassCSP).toBeFalsy()
    expect(schemes[0]?.privileges.allowServiceWorkers).toBeFalsy()
  })

  it('maps app://codex-sys/ URLs to files under the renderer directory', async () => {
    const { root } = await builtRenderer()
    expect(await resolveAppFile(root, 'app://codex-sys/index.html')).toBe(join(root, 'index.html'))
    expect(await resolveAppFile(root, 'app://codex-sys/')).toBe(join(root, 'index.html'))
    expect(await resolveAppFile(root, 'app://codex-sys/index.html#/task/1')).toBe(join(root, 'index.html'))
    expect(await resolveAppFile(root, 'app://codex-sys/assets/index-abc.js?v=1')).toBe(
      join(root, 'assets', 'index-abc.js'),
    )
  })

  it('refuses everything outside it: other hosts, .., encoded .., symbolic links out, directories, NULs', async () => {
    const { root } = await builtRenderer()
    for (const url of [
      'app://other-host/index.html',
      'https://codex-sys/index.html',
      'app://codex-sys/../secret.txt',
      'app://codex-sys/assets/..%2F..%2Fsecret.txt',
      'app://codex-sys/%2e%2e/secret.txt',
      'app://codex-sys/assets/..%5C..%5Csecret.txt',
      'app://codex-sys/assets/link.txt',
      'app://codex-sys/up/secret.txt',
      'app://codex-sys/assets',
      'app://codex-sys/assets/',
      'app://codex-sys/missing.js',
      'app://codex-sys/index.html%00.js',
      'app://codex-sys/%E0%A4%A',
      `app://codex-sys/${encodeURIComponent(join(root, '..', 'secret.txt'))}`,
    ]) {
      expect(await resolveAppFile(root, url), url).toBeNull()
    }
  })

  it('answers with the file, its type and the CSP; 404 and 405 otherwise', async () => {
    const { root } = await builtRenderer()
    const csp = contentSecurityPolicy()
    const handle = createAppFileHandler(root, csp)

    const page = await handle(new Request('app://codex-sys/index.html'))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toBe(csp)
    expect(page.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await page.text()).toContain('<title>codex-sys</title>')

    const script = await handle(new Request('app://codex-sys/assets/index-abc.js'))
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const font = await handle(new Request('app://codex-sys/assets/codicon.ttf'))
    expect(font.headers.get('content-type')).toBe('font/ttf')
    expect(new Uint8Array(await font.arrayBuffer())).toEqual(new Uint8Array([0, 1, 0, 0]))

    const head = await handle(new Request('app://codex-sys/index.html', { method: 'HEAD' }))
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')

    const secret = await handle(new Request('app://codex-sys/assets/link.txt'))
    expect(secret.status).toBe(404)
    expect(await secret.text()).not.toContain('api key')
    expect(
      (await handle(new Request('app://codex-sys/index.html', { method: 'POST', body: 'x' }))).status,
    ).toBe(405)
  })

  it('serveAppFiles installs that handler on the app scheme', async () => {
    const { root } = await builtRenderer()
    const handle = vi.fn()
    serveAppFiles({ handle }, root, 'csp')
    expect(handle).toHaveBeenCalledWith('app', expect.any(Function))
    const handler = handle.mock.calls[0]?.[1] as (r: Request) => Promise<Response>
    expect((await handler(new Request('app://codex-sys/index.html'))).status).toBe(200)
  })
})
