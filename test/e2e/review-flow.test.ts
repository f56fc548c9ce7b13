import { execFileSync } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { launchBrowser } from '../support/browser'
import { writeFiles } from '../support/files'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

const SCREENSHOTS = join(process.cwd(), 'test/e2e/screenshots')

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** Drops a file on the window the way a user's drag does: dragenter, dragover, drop with a real DataTransfer. */
async function dropFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  // Runs in the page (DOM types are not this file's): a File in a DataTransfer, as a real drag carries it.
  const transfer = await page.evaluateHandle(`(() => {
    const data = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0))
    const transfer = new DataTransfer()
    transfer.items.add(new File([data], ${JSON.stringify(name)}, { type: 'application/zip' }))
    return transfer
  })()`)
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('body', type, { dataTransfer: transfer })
  }
}

/** The text Monaco shows in the modified (right) side of the diff editor. */
async function modifiedText(page: Page): Promise<string> {
  const side = page.locator('.monaco-diff-editor .editor.modified .view-lines')
  await side.waitFor()
  return (await side.innerText()).replace(/\u00a0/g, ' ')
}

describe('the app in a browser, over the headless server and the real engine', () => {
  it('drops a ZIP, watches the agent, reviews the Monaco diff, excludes a file, and follows up', async () => {
    const root = await tempDir()
    await writeFiles(join(root, 'shop-main'), {
      'src/cart.js': 'export function total(items) {\n  return items.length\n}\n',
      'README.md': '# shop\n',
    })
    const zipFile = join(root, 'shop.zip')
    execFileSync('zip', ['-qr', zipFile, 'shop-main'], { cwd: root })

    const slow = { delayMs: 400 } // so the timeline visibly streams
    const script = [
      {
        ...slow,
        text: 'Reading the cart.',
        toolCalls: [{ name: 'read_file', args: { path: 'src/cart.js' } }],
      },
      {
        ...slow,
        toolCalls: [
          {
            name: 'edit_file',
            args: {
              path: 'src/cart.js',
              old_string: 'return items.length',
              new_string: 'return items.reduce((sum, item) => sum + item.price, 0)',
            },
          },
        ],
      },
      {
        ...slow,
        toolCalls: [{ name: 'write_file', args: { path: 'NOTES.md', content: 'Totals add prices.\n' } }],
      },
      { ...slow, toolCalls: [{ name: 'finish', args: { summary: 'total() now sums prices.' } }] },
      // The follow-up turn.
      {
        ...slow,
        toolCalls: [
          {
            name: 'edit_file',
            args: {
              path: 'src/cart.js',
              old_string: 'export function total(items) {',
              new_string: 'export function total(items = []) {',
            },
          },
        ],
      },
      { ...slow, toolCalls: [{ name: 'finish', args: { summary: 'An empty cart totals 0.' } }] },
    ]

    const rendererDir = process.env.CODEX_RENDERER_DIR
    if (!rendererDir)
      throw new Error('CODEX_RENDERER_DIR is not set: the e2e global setup builds the renderer')
    const browser = await launchBrowser()
    try {
      await withTestAppServer({ script, rendererDir }, async ({ server, services, openUrl }) => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
        const pageErrors: string[] = []
        page.on('pageerror', (err) => pageErrors.push(err.message))
        const offsite: string[] = []
        page.on('request', (req) => {
          if (
            !req.url().startsWith(server.url) &&
            !req.url().startsWith('blob:') &&
            !req.url().startsWith('data:')
          ) {
            offsite.push(req.url())
          }
        })

        // The ?token= address the server prints: it sets the cookie and redirects to the app.
        await page.goto(openUrl)
        expect(page.url()).toBe(`${server.url}/`)
        await page.getByLabel('Task', { exact: true }).waitFor()
        await shot(page, '01-new-task')

        // Drop the ZIP anywhere on the window, describe the task, submit with Ctrl+Enter.
        await dropFile(page, 'shop.zip', await readFile(zipFile))
        await page.getByText('shop.zip').first().waitFor()
        await page.getByLabel('Task', { exact: true }).fill('Make total() add up the prices')
        await shot(page, '02-zip-dropped')
        await page.getByLabel('Task', { exact: true }).press('Control+Enter')

        // The task page: the timeline streams the agent's steps.
        await page.waitForURL(/#\/task\//)
        await page.getByRole('region', { name: 'Task' }).getByText('shop.zip').first().waitFor()
        const timeline = page.getByRole('log', { name: 'Timeline' })
        await timeline.getByText('read_file').first().waitFor()
        await shot(page, '03-timeline-streaming')
        await timeline.getByText('edit_file').first().waitFor()
        await page.getByRole('button', { name: /Review changes/ }).click({ timeout: 120_000 })
        await shot(page, '04-task-done')

        // The review: the changed files and Monaco's diff of the expected change.
        await page.waitForURL(/\/review$/)
        const tree = page.getByRole('tree', { name: 'Changed files' })
        await tree.getByText('cart.js').click()
        expect(await modifiedText(page)).toContain('return items.reduce((sum, item) => sum + item.price, 0)')
        await shot(page, '05-review-diff')

        // Exclude NOTES.md: the engine records it.
        const taskId = /#\/task\/([^/]+)/.exec(page.url())![1]!
        await tree.getByLabel('Include NOTES.md').uncheck()
        await expect
          .poll(() => services.engine.get(taskId).excludedPaths ?? [], { timeout: 10_000 })
          .toEqual(['NOTES.md'])
        await shot(page, '06-file-excluded')

        // A follow-up runs another turn; the new diff (still against the original) shows both changes.
        const followUp = page.getByLabel(/follow-up/i)
        await followUp.fill('Also handle a missing cart')
        await followUp.press('Control+Enter')
        await page.waitForURL(/#\/task\/[^/]+$/)
        await page.getByRole('button', { name: /Review changes/ }).click({ timeout: 120_000 })
        await page.waitForURL(/\/review$/)
        await tree.getByText('cart.js').click()
        await expect
          .poll(() => modifiedText(page), { timeout: 20_000 })
          .toContain('export function total(items = []) {')
        expect(await modifiedText(page)).toContain('item.price')
        await shot(page, '07-follow-up-diff')

        expect(services.engine.get(taskId)).toMatchObject({ status: 'review', turns: 2 })
        expect(pageErrors).toEqual([])
        expect(offsite).toEqual([])
      })
    } finally {
      await browser.close()
    }
  })
})
