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

const shell = (command: string, timeout_seconds = 60): ScriptStep => ({
  toolCalls: [{ name: 'shell', args: { command, timeout_seconds } }],
})

describe('the network policy in the browser', () => {
  it('shows a blocked request in the timeline, and "Allow for this task and retry" lets the agent through', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'README.md': '# app\n' })
    // The agent may reach deb.debian.org only; npm's registry is refused until the user allows it.
    const script: ScriptStep[] = [
      shell('npm view is-number version 2>&1 | tail -2'),
      // The user clicks "Allow" meanwhile; the next step is told so and retries.
      shell('sleep 12; echo waited'),
      shell('npm view is-number version'),
      { toolCalls: [{ name: 'finish', args: { summary: 'Checked the version.' } }] },
    ]
    const rendererDir = process.env.CODEX_RENDERER_DIR
    if (!rendererDir)
      throw new Error('CODEX_RENDERER_DIR is not set: the e2e global setup builds the renderer')
    const browser = await launchBrowser()
    try {
      await withTestAppServer({ script, rendererDir }, async ({ server, services, openUrl, model }) => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
        const pageErrors: string[] = []
        page.on('pageerror', (err) => pageErrors.push(err.message))
        const task = await services.engine.submit({
          source: { kind: 'folder', path: repo },
          prompt: 'Find the latest is-number version',
          network: { agent: { mode: 'custom', hosts: ['deb.debian.org'], readOnly: false } },
        })
        await page.goto(openUrl)
        expect(page.url()).toBe(`${server.url}/`)
        await page.goto(`${server.url}/#/task/${task.id}`)

        const timeline = page.getByRole('log', { name: 'Timeline' })
        await timeline
          .getByText(/Blocked: registry\.npmjs\.org:443/)
          .first()
          .waitFor({ timeout: 120_000 })
        await shot(page, '20-network-blocked')
        await timeline.getByRole('button', { name: 'Allow for this task and retry' }).first().click()
        await timeline.getByText('Allowed for this task').first().waitFor()
        await shot(page, '21-network-allowed')

        await page.getByRole('button', { name: /Review changes/ }).waitFor({ timeout: 120_000 })
        const done = services.engine.get(task.id)
        expect(done).toMatchObject({ status: 'review', allowedHosts: ['registry.npmjs.org'] })
        const outputs = model.requests
          .at(-1)!
          .body.messages.filter((m) => m.role === 'tool')
          .map((m) => String(m.content))
        expect(outputs[0]).toContain('Blocked: registry.npmjs.org:443')
        expect(outputs[2]).toMatch(/^Exit code: 0[\s\S]*\d+\.\d+\.\d+/)
        expect(pageErrors).toEqual([])
      })
    } finally {
      await browser.close()
    }
  })
})
