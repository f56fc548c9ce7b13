/**
 * The setup cache from the UI (issue 14): two tasks on one folder, the second says it restored what the
 * first one's setup made (and the agent sees those files); "Run setup again" runs it anyway; Settings →
 * Clear setup cache empties it.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { withBrowserPage } from '../support/browser-page'
import { writeFiles } from '../support/files'
import type { ChatMessage, ScriptStep } from '../support/model-server'
import { rendererDir, shot, submitTask } from '../support/review-browser'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

/** Offline: makes node_modules/x (ignored by git) and says so on its output. */
const SETUP =
  'set -e\nmkdir -p node_modules/x\necho "module.exports = \'built\'" > node_modules/x/index.js\n' +
  'sleep 2\necho setup-ran\n'
const BUILT = "module.exports = 'built'"
const CAT: ScriptStep = { toolCalls: [{ name: 'shell', args: { command: 'cat node_modules/x/index.js' } }] }
const finish = (summary: string): ScriptStep => ({ toolCalls: [{ name: 'finish', args: { summary } }] })
const RESTORED = /Setup restored from cache \(saved \d+ s, key [0-9a-f]{12}…\)/

const lastToolOutput = (messages: ChatMessage[]): string =>
  String(messages.filter((m) => m.role === 'tool').at(-1)?.content)

const timelineOf = (page: Page): Locator => page.getByRole('log', { name: 'Timeline' })

/** From whichever page: New task, the folder (kept from the last task, else typed), optionally "Run setup again". */
async function submitOnFolder(page: Page, folder: string, prompt: string, runSetupAgain = false) {
  await page.getByRole('button', { name: 'New task' }).click()
  await page.getByRole('tab', { name: /Folder/ }).click()
  const path = page.getByLabel('Folder path on the server machine')
  if ((await path.inputValue()) !== folder) await path.fill(folder)
  if (runSetupAgain) {
    await page.getByRole('button', { name: /^Options/ }).click()
    await page.getByLabel('Run setup again (ignore the setup cache)').check()
  }
  return submitTask(page, prompt)
}

async function waitForReview(page: Page): Promise<void> {
  await page.getByRole('button', { name: /Review changes/ }).waitFor({ timeout: 150_000 })
}

async function cacheEntries(root: string): Promise<string[]> {
  const names = await readdir(join(root, 'data', 'setup-cache')).catch(() => [])
  return names.filter((n) => /^[0-9a-f]{64}$/.test(n))
}

describe('the setup cache in the browser', () => {
  it('restores the first task’s setup for the second, runs it again when asked, and clears it from Settings', async () => {
    const repo = join(await tempDir(), 'repo')
    await writeFiles(repo, {
      'setup.sh': SETUP,
      '.gitignore': 'node_modules/\n',
      'package-lock.json': '{"lockfileVersion":3}\n',
    })
    const script = [CAT, finish('Read it.'), CAT, finish('Read it again.'), finish('Set up anew.')]
    await withTestAppServer({ script, rendererDir: rendererDir() }, async ({ root, openUrl, model }) => {
      await withBrowserPage(async (page, pageErrors) => {
        await page.goto(openUrl)
        const timeline = timelineOf(page)

        // Task 1: setup runs; its output is in the timeline's setup log; the agent reads what it made.
        await submitOnFolder(page, repo, 'Read the module')
        await waitForReview(page)
        await timeline.getByText('Setup log').first().waitFor()
        await timeline.getByText(/setup-ran/).waitFor()
        await timeline.getByText(BUILT).first().waitFor()
        expect(await timeline.getByText(RESTORED).count()).toBe(0)
        expect(await cacheEntries(root)).toHaveLength(1)
        await shot(page, '70-setup-cache-first')

        // Task 2, same folder: no setup ran; the timeline says it was restored; the agent saw the files.
        await submitOnFolder(page, repo, 'Read the module again')
        await waitForReview(page)
        // Where task 1 said "Setting up": a step of its own, not a line in a log block.
        await timeline.locator('.tl-note').filter({ hasText: RESTORED }).waitFor()
        expect(await timeline.getByText(/setup-ran/).count()).toBe(0)
        expect(await timeline.getByText('Running setup').count()).toBe(0)
        await timeline.getByText(BUILT).first().waitFor()
        expect(lastToolOutput(model.requests[3]!.body.messages)).toContain(BUILT)
        await shot(page, '71-setup-cache-restored')

        // Task 3, "Run setup again": the script's output again, no restore.
        await submitOnFolder(page, repo, 'Set it up anew', true)
        await waitForReview(page)
        await timeline.getByText(/setup-ran/).waitFor()
        expect(await timeline.getByText(RESTORED).count()).toBe(0)

        // Settings → Clear setup cache: the one saved setup goes; a second click finds none.
        await page.getByRole('button', { name: 'Settings' }).click()
        const clear = page.getByRole('button', { name: 'Clear setup cache' })
        await clear.click()
        const said = page.getByRole('status').filter({ hasText: /^Removed/ })
        await expect.poll(() => said.innerText()).toBe('Removed 1 saved setup.')
        expect(await cacheEntries(root)).toEqual([])
        await clear.click()
        await expect.poll(() => said.innerText()).toBe('Removed 0 saved setups.')
        await shot(page, '72-setup-cache-cleared')
        expect(pageErrors).toEqual([])
      })
    })
  })
})
