import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { launchBrowser } from '../support/browser'
import { startGitServer } from '../support/git-server'
import { startGitHubDouble } from '../support/github-double'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

const execFileAsync = promisify(execFile)
const TOKEN = 'ghp_e2eToken_0a1b2c3d4e5f6a7b8c9d'
const SCREENSHOTS = join(process.cwd(), 'test/e2e/screenshots')

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** git against the in-process git server: asynchronous, or the server could not answer. */
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (
    await execFileAsync('git', ['-c', `http.extraHeader=Authorization: Bearer ${TOKEN}`, ...args], { cwd })
  ).stdout.trim()

describe('publishing from the browser', () => {
  it('picks a repo, runs a task, excludes a file, edits a line in Monaco, and opens the pull request', async () => {
    const gitServer = await startGitServer({ token: TOKEN })
    const github = await startGitHubDouble({ token: TOKEN, gitServer })
    await github.addRepo({ name: 'old-notes', pushedAt: '2025-01-01T00:00:00Z' })
    await github.addRepo({
      name: 'shop',
      private: true,
      pushedAt: '2026-11-01T00:00:00Z',
      files: { 'src/cart.js': 'export const currency = "EUR"\nexport const rate = 1\n' },
    })
    const script = [
      {
        toolCalls: [
          {
            name: 'edit_file',
            args: {
              path: 'src/cart.js',
              old_string: 'export const rate = 1',
              new_string: 'export const rate = 2',
            },
          },
        ],
      },
      { toolCalls: [{ name: 'write_file', args: { path: 'NOTES.md', content: 'scratch\n' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Doubled the rate.' } }] },
    ]
    const rendererDir = process.env.CODEX_RENDERER_DIR
    if (!rendererDir)
      throw new Error('CODEX_RENDERER_DIR is not set: the e2e global setup builds the renderer')
    const browser = await launchBrowser()
    try {
      await withTestAppServer(
        { script, rendererDir, githubToken: TOKEN, settings: { githubApiUrl: github.baseUrl } },
        async ({ openUrl, services }) => {
          const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
          const pageErrors: string[] = []
          page.on('pageerror', (err) => pageErrors.push(err.message))
          // The ?token= address the server prints: it sets the cookie and redirects to the app.
          await page.goto(openUrl)

          // Pick the repository from the list: it fills the Git URL and the default branch.
          await page.getByRole('tab', { name: /Git URL/ }).click()
          const picker = page.getByRole('region', { name: 'Your repositories' })
          await picker.getByRole('button', { name: 'octocat/shop' }).waitFor()
          await expect
            .poll(() => picker.getByRole('button').allInnerTexts())
            .toEqual(expect.arrayContaining([expect.stringContaining('shop')]))
          await shot(page, '11-repo-picker')
          await picker.getByRole('button', { name: 'octocat/shop' }).click()
          await page.getByLabel('Task', { exact: true }).fill('Double the rate')
          await page.getByLabel('Task', { exact: true }).press('Control+Enter')

          // The task runs; then the review.
          await page.waitForURL(/#\/task\//)
          const taskId = /#\/task\/([^/]+)/.exec(page.url())![1]!
          await page.getByRole('button', { name: /Review changes/ }).click({ timeout: 120_000 })
          await page.waitForURL(/\/review$/)
          expect(services.engine.get(taskId).source).toMatchObject({ kind: 'git', branch: 'main' })

          // Exclude NOTES.md, then edit a line of cart.js in Monaco's right-hand side and save.
          const tree = page.getByRole('tree', { name: 'Changed files' })
          await tree.getByLabel('Include NOTES.md').uncheck()
          await tree.getByText('cart.js').click()
          // The editor reads by default (its keys review hunks): "Edit" first.
          await page.locator('.diff-head').getByRole('button', { name: 'Edit', exact: true }).click()
          const modified = page.locator('.monaco-diff-editor .editor.modified')
          await modified.locator('.view-lines').getByText('rate = 2').click()
          await modified.locator('.monaco-editor.focused').waitFor()
          await page.keyboard.press('End')
          await page.keyboard.type(' // reviewed') // as fast as keys can come
          await page.getByTitle('Unsaved changes').waitFor()
          await page.keyboard.press('Control+s')
          await expect
            .poll(() => services.engine.get(taskId).diff?.additions, { timeout: 10_000 })
            .toBeGreaterThan(0)
          await expect
            .poll(
              async () =>
                (await services.engine.diff(taskId)).fileDiffs.find((f) => f.newPath === 'src/cart.js')
                  ?.newContent,
            )
            .toContain('export const rate = 2 // reviewed')
          await shot(page, '12-edited-in-monaco')

          // Open the pull request; its URL shows.
          const form = page.getByRole('form', { name: 'Open pull request' })
          await form.getByRole('button', { name: 'Open pull request' }).click()
          const done = page.locator('.publish-done')
          await done.waitFor({ timeout: 60_000 })
          expect(await done.innerText()).toMatch(/octocat\/shop#1/)
          expect(await done.innerText()).toContain('/octocat/shop/pull/1')
          await shot(page, '13-pull-request-opened')

          // What GitHub got: one pull request whose branch has the edit and not the excluded file.
          expect(github.pulls.map((p) => ({ base: p.base.ref, head: p.head.ref }))).toEqual([
            { base: 'main', head: expect.stringMatching(/^ai-changes-\d{8}-\d{6}$/) },
          ])
          const check = join(await tempDir(), 'check')
          const source = services.engine.get(taskId).source
          if (source.kind !== 'git') throw new Error(`expected a git source, got ${source.kind}`)
          await git(process.cwd(), 'clone', '-q', source.url, check)
          await git(check, 'fetch', '-q', 'origin', github.pulls[0]!.head.ref)
          expect(await git(check, 'show', 'FETCH_HEAD:src/cart.js')).toContain(
            'export const rate = 2 // reviewed',
          )
          expect(await git(check, 'ls-tree', '-r', '--name-only', 'FETCH_HEAD')).not.toContain('NOTES.md')
          expect(github.violations).toEqual([])
          expect(pageErrors).toEqual([])
        },
      )
    } finally {
      await browser.close()
      await github.close()
      await gitServer.close()
    }
  })
})
