import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createAppServer } from '../../src/main/server/app-server'
import { launchBrowser } from '../support/browser'
import { buildZip } from '../support/make-zip'
import { withTestAppServer } from '../support/services'

/** The original service's page (seed 001, frontend/), byte for byte: it calls http://localhost:8080/api. */
const PAGE_DIR = join(process.cwd(), 'test/e2e/fixtures/seed-001')
const SEED_PORT = 8080

/** Any static server on another origin, as the seed's README has it ("open frontend/index.html"). */
async function servePage(): Promise<{ origin: string; close: () => Promise<void> }> {
  const types: Record<string, string> = { '/index.html': 'text/html', '/script.js': 'text/javascript' }
  const server: Server = createServer((req, res) => {
    const type = types[req.url ?? '']
    if (!type) return void res.writeHead(404).end()
    readFile(join(PAGE_DIR, (req.url ?? '').slice(1))).then(
      (body) => res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body),
      () => res.writeHead(500).end(),
    )
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { origin, close: () => new Promise((done) => server.close(() => done())) }
}

const SCRIPT = [
  { toolCalls: [{ name: 'read_file', args: { path: 'src/main.py' } }] },
  { toolCalls: [{ name: 'write_file', args: { path: 'src/main.py', content: 'print("hello, seed")\n' } }] },
  { toolCalls: [{ name: 'finish', args: { summary: 'Greeted the seed.' } }] },
]

describe("the original service's page", () => {
  it('works unchanged from another origin: ZIP + target file → completed → diff preview → artifact links', async () => {
    const page = await servePage()
    onTestFinished(() => page.close())
    const browser = await launchBrowser()
    onTestFinished(() => browser.close())
    await withTestAppServer({ script: SCRIPT }, async ({ services, root }) => {
      // `npm run serve -- --no-token --allow-origin <the page's origin>` on the seed's port.
      const seedServer = await createAppServer(services, {
        host: '127.0.0.1',
        port: SEED_PORT,
        noToken: true,
        allowOrigins: [page.origin],
        rendererDir: join(root, 'no-renderer'),
        uploadDir: join(root, 'uploads'),
      }).catch((err: unknown) => {
        throw new Error(`the seed's page needs port ${SEED_PORT} free: ${String(err)}`)
      })
      onTestFinished(() => seedServer.close())

      const tab = await browser.newPage()
      const problems: string[] = []
      tab.on('pageerror', (err) => problems.push(err.message))
      tab.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()))
      await tab.goto(`${page.origin}/index.html`)
      await tab.selectOption('#inputType', 'zip')
      const zip = buildZip([
        { name: 'README.md', data: '# demo\n' },
        { name: 'setup.sh', data: 'echo "setting up"\n' },
        { name: 'src/main.py', data: 'print("hi")\n' },
      ])
      await tab.setInputFiles('#zipFile', { name: 'code.zip', mimeType: 'application/zip', buffer: zip })
      await tab.fill('#taskDescription', 'Change the greeting')
      await tab.fill('#targetFile', 'src/main.py')
      await tab.click('button[type=submit]')
      await tab.locator('#statusMessage.success').waitFor()
      const id = (await tab.locator('#taskId').textContent()) ?? ''
      expect(id).toMatch(/^test-/)
      // The page polls every 2 s until Status is completed (or failed).
      await tab.locator('#status.success').waitFor({ timeout: 150_000 })
      expect(await tab.locator('#status').textContent()).toBe('completed')
      expect(await tab.locator('#statusDetail').textContent()).toBe(
        'Completed: 1 file changed; the diff is in diff.patch.',
      )

      // Its diff preview: the link's click fetches diff.patch (CORS) and opens it in a new tab too.
      const opened = tab.waitForEvent('popup')
      await tab.getByRole('link', { name: 'diff.patch' }).click()
      await tab.locator('#diffPreviewContainer').waitFor({ state: 'visible' })
      const preview = (await tab.locator('#diffPreview').textContent()) ?? ''
      expect(preview).toContain('-print("hi")')
      expect(preview).toContain('+print("hello, seed")')
      const popup = await opened
      await popup.waitForLoadState()
      expect(await popup.locator('body').textContent()).toContain('+print("hello, seed")')

      // Every link it shows answers: the seed's names, and a JSON 404 for the PR it did not open.
      const links = await tab
        .locator('a.log-link')
        .evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href))
      const base = `http://localhost:${SEED_PORT}/api/logs/${id}/`
      expect(links).toEqual(
        [
          'prompt.txt',
          'llm_response.txt',
          'diff.patch',
          'agent.log',
          'docker_container.log',
          'setup.log',
          'pr_url.txt',
        ].map((name) => base + name),
      )
      const answers = await tab.evaluate(async (hrefs) => {
        const out: Array<[string, number, string]> = []
        for (const href of hrefs) {
          const res = await fetch(href)
          out.push([href.split('/').pop() ?? '', res.status, (await res.text()).slice(0, 2000)])
        }
        return out
      }, links)
      const byName = new Map(answers.map(([name, status, text]) => [name, { status, text }]))
      for (const name of [
        'prompt.txt',
        'llm_response.txt',
        'diff.patch',
        'agent.log',
        'docker_container.log',
        'setup.log',
      ]) {
        expect([name, byName.get(name)?.status]).toEqual([name, 200])
      }
      expect(byName.get('llm_response.txt')?.text).toBe('Greeted the seed.\n')
      expect(byName.get('prompt.txt')?.text).toContain('Change the greeting')
      expect(byName.get('setup.log')?.text).toContain('setting up')
      expect(byName.get('docker_container.log')?.text).toContain('write_file src/main.py')
      expect(byName.get('pr_url.txt')).toEqual({
        status: 404,
        text: JSON.stringify({
          ok: false,
          error: { kind: 'not_found', message: 'pr_url.txt has not been written yet.' },
        }),
      })
      // The browser logs the 404s it fetched; nothing else went wrong on the page.
      expect(problems.filter((p) => !p.includes('404'))).toEqual([])
    })
  })
})
