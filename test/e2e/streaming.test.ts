import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { launchBrowser } from '../support/browser'
import { writeFiles } from '../support/files'
import type { ScriptStep } from '../support/model-server'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

const SCREENSHOTS = join(process.cwd(), 'test/e2e/screenshots')

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

const TEXT =
  'First I will read the README to see what the project is, then I will decide what to change in it.'

describe('streamed model output in the browser', () => {
  it('shows the partial text of a reply in the timeline while the model writes it, then the whole', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'README.md': '# app\n' })
    const script: ScriptStep[] = [
      // About 20 pieces 300 ms apart: six seconds of a reply being written.
      { text: TEXT, chunkDelayMs: 300, toolCalls: [{ name: 'read_file', args: { path: 'README.md' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Read the README.' } }] },
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
        const task = await services.engine.submit({
          source: { kind: 'folder', path: repo },
          prompt: 'Look at the README',
        })
        await page.goto(openUrl)
        await page.goto(`${server.url}/#/task/${task.id}`)

        const timeline = page.getByRole('log', { name: 'Timeline' })
        const writing = timeline.locator('.tl-message.is-streaming')
        await writing.getByText(/^First I will/).waitFor({ timeout: 120_000 })
        await timeline.getByRole('status', { name: 'writing…' }).first().waitFor()
        const partial = await writing.locator('.tl-message-text').innerText()
        expect(TEXT.startsWith(partial.trim())).toBe(true)
        expect(partial.trim().length).toBeLessThan(TEXT.length)
        await shot(page, '30-streaming-partial')

        await timeline.getByText(TEXT).waitFor({ timeout: 30_000 })
        await expect.poll(() => writing.count(), { timeout: 10_000 }).toBe(0)
        await page.getByRole('button', { name: /Review changes/ }).waitFor({ timeout: 120_000 })
        await shot(page, '31-streaming-done')
        expect(await timeline.getByText(TEXT).count()).toBe(1)
        expect(pageErrors).toEqual([])
      })
    } finally {
      await browser.close()
    }
  })
})
