/**
 * Issue 11's review loop driven in Chromium over the headless server and the real engine: a hunk left out
 * with a reason, a comment on a line, "Request changes" reaching the scripted model, the second turn's own
 * diff through the turn picker and the timeline's link, a pull request of exactly the included hunks, and
 * "Apply to folder" writing exactly the selection.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { withBrowserPage } from '../support/browser-page'
import { writeFiles } from '../support/files'
import { startGitServer } from '../support/git-server'
import { startGitHubDouble } from '../support/github-double'
import {
  API,
  asFile,
  edit,
  finish,
  gitRaw,
  lastUserMessage,
  tool,
  UTIL_V0,
  UTIL_V1,
  withLine,
} from '../support/review-api'
import {
  boxState,
  clickModifiedLine,
  markedLines,
  openReview,
  rendererDir,
  shot,
  sideText,
  submitTask,
  treeBoxLabels,
} from '../support/review-browser'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

const TOKEN = 'ghp_e2eReviewLoop_0a1b2c3d4e5f6a7b'
const TIMEOUT = 420_000

const GET_V1 = 'return db.users.find(String(id))'
const GET_V2 = 'return id === undefined ? null : db.users.find(String(id))'
const LIST_V1 = 'return db.users.all({ limit: 100 })'
const REASON = 'listUsers is public: keep its signature'
const COMMENT = 'Guard against a missing id here.'
const NOTE = 'Please make getUser safe for a missing id.'

/** Turn 1's edits: both functions of src/api.js (two hunks), and src/util.js. */
const TURN_ONE = [
  edit('src/api.js', 'return db.users.find(id)', GET_V1),
  edit('src/api.js', 'return db.users.all()', LIST_V1),
  tool('write_file', { path: 'src/util.js', content: UTIL_V1 }),
  finish('Tightened the API.'),
]

/** Selects src/api.js, moves to its second hunk with the hunk bar, and unticks "Include this hunk". */
async function leaveOutSecondHunk(page: Page): Promise<void> {
  const tree = page.getByRole('tree', { name: 'Changed files' })
  await tree.getByText('api.js').click()
  expect(await sideText(page, 'modified')).toContain(LIST_V1)
  const bar = page.getByRole('region', { name: 'Hunk' })
  await expect.poll(() => bar.innerText()).toContain('Hunk 1 of 2')
  const next = bar.getByRole('button', { name: 'Next hunk' })
  await next.click()
  await expect.poll(() => bar.innerText()).toContain('Hunk 2 of 2')
  expect(await next.isDisabled()).toBe(true)
  await bar.getByRole('button', { name: 'Previous hunk' }).click()
  await expect.poll(() => bar.innerText()).toContain('Hunk 1 of 2')
  await next.click()
  await expect.poll(() => bar.innerText()).toContain('Hunk 2 of 2')
  const include = bar.getByLabel('Include this hunk')
  expect(await include.isChecked()).toBe(true)
  await include.uncheck()
  expect(await include.isChecked()).toBe(false)
}

describe('the review loop in Chromium, on the real engine', () => {
  it(
    'leaves out a hunk with a reason, comments, requests changes, shows turn 2 alone, and opens a PR of the selection',
    async () => {
      const gitServer = await startGitServer({ token: TOKEN })
      const github = await startGitHubDouble({ token: TOKEN, gitServer })
      await github.addRepo({
        name: 'shop',
        defaultBranch: 'main',
        files: { 'src/api.js': asFile(API), 'src/util.js': UTIL_V0 },
      })
      const script = [
        ...TURN_ONE,
        // Turn 2, after "Request changes": the commented line changes, nothing else.
        edit('src/api.js', GET_V1, GET_V2),
        finish('getUser handles a missing id.'),
      ]
      const settings = { githubApiUrl: github.baseUrl }
      try {
        await withTestAppServer(
          { script, settings, githubToken: TOKEN, rendererDir: rendererDir() },
          async ({ openUrl, services, model }) => {
            await withBrowserPage(async (page, pageErrors) => {
              await page.goto(openUrl)
              await page.getByRole('tab', { name: /Git URL/ }).click()
              const picker = page.getByRole('region', { name: 'Your repositories' })
              await picker.getByRole('button', { name: 'octocat/shop' }).click()
              const id = await submitTask(page, 'Tighten the API')
              await openReview(page)
              const engineDiff = await services.engine.diff(id)
              const apiHunks = engineDiff.fileDiffs.find((f) => f.newPath === 'src/api.js')?.hunks ?? []
              expect(apiHunks).toHaveLength(2)

              // The second hunk of src/api.js left out, with a reason (saved on Enter).
              await leaveOutSecondHunk(page)
              const bar = page.getByRole('region', { name: 'Hunk' })
              const reason = bar.getByLabel('Reason for leaving it out')
              await reason.fill(REASON)
              await reason.press('Enter')
              await expect
                .poll(() => services.engine.get(id).excludedHunks, { timeout: 10_000 })
                .toEqual([{ path: 'src/api.js', key: apiHunks[1]!.key, reason: REASON }])
              await shot(page, '21-hunk-bar-reason')

              // The file tree shows src/api.js in part: its box indeterminate, its row marked.
              const tree = page.getByRole('tree', { name: 'Changed files' })
              const fileBox = tree.getByLabel('Include src/api.js', { exact: true })
              await expect.poll(() => boxState(fileBox)).toBe('indeterminate')
              await expect
                .poll(() => boxState(tree.getByLabel('Include src/', { exact: true })))
                .toBe('indeterminate')
              expect(await boxState(tree.getByLabel('Include src/util.js', { exact: true }))).toBe('checked')
              await shot(page, '22-review-partial-file')

              // A comment on line 2 of the modified side: click it, press c, type, "Add comment".
              await clickModifiedLine(page, GET_V1)
              await page.keyboard.press('c')
              const comments = page.getByRole('region', { name: 'Comments' })
              await comments.getByLabel('New comment').fill(COMMENT)
              await comments.getByRole('button', { name: 'Add comment' }).click()
              await expect
                .poll(() =>
                  services.engine.get(id).comments?.map((c) => [c.path, c.side, c.startLine, c.text]),
                )
                .toEqual([['src/api.js', 'new', 2, COMMENT]])
              await comments.locator('.comment-list').getByText(COMMENT).waitFor()
              await shot(page, '23-comment')

              // "Request changes": the panel's preview, a note, "Send request"; the task page follows.
              await page.getByRole('button', { name: /^Request changes/ }).click()
              const panel = page.getByRole('group', { name: 'Request changes' })
              const preview = await panel.getByRole('list', { name: 'What will be sent' }).innerText()
              expect(preview).toContain(COMMENT)
              expect(preview).toContain(REASON)
              await panel.getByLabel('Review note').fill(NOTE)
              await shot(page, '24-request-changes')
              const sentAt = model.requests.length
              await panel.getByRole('button', { name: /^Send request/ }).click()
              await page.waitForURL(/#\/task\/[^/]+$/)

              // The timeline links to turn 2's own changes once it ends.
              const link = page.getByRole('link', { name: "Turn 2's changes", exact: true })
              await link.waitFor({ timeout: 150_000 })
              expect(await link.getAttribute('href')).toBe(`#/task/${id}/review/turn/2`)
              await shot(page, '27-timeline-turn-link')
              await expect.poll(() => services.engine.get(id)).toMatchObject({ status: 'review', turns: 2 })
              const message = lastUserMessage(model, sentAt)
              for (const expected of [
                NOTE,
                COMMENT,
                'src/api.js',
                GET_V1,
                REASON,
                '-  return db.users.all()',
                `+  ${LIST_V1}`,
              ]) {
                expect(message, `the request-changes message holds ${JSON.stringify(expected)}`).toContain(
                  expected,
                )
              }

              // Turn 2's own diff: only its file and only its change.
              await openReview(page)
              const turnPicker = page.getByLabel('Show changes of')
              await turnPicker.selectOption({ label: 'Turn 2 (+1 \u22121)' })
              await page.waitForURL(/\/review\/turn\/2$/)
              await expect.poll(() => treeBoxLabels(tree)).toEqual(['Include src/', 'Include src/api.js'])
              await expect.poll(() => sideText(page, 'modified'), { timeout: 20_000 }).toContain(GET_V2)
              expect(await sideText(page, 'original')).toContain(GET_V1)
              // Monaco computes the diff after it shows the text: its marks are waited for.
              await expect.poll(() => markedLines(page, 'modified'), { timeout: 10_000 }).toBe(1)
              await expect.poll(() => markedLines(page, 'original'), { timeout: 10_000 }).toBe(1)
              expect(await page.getByLabel('Totals').innerText()).toMatch(/^1 file \+1 \u22121$/)
              expect(await page.getByRole('region', { name: 'Hunk' }).count()).toBe(0)
              await shot(page, '25-turn-picker')

              // Back to the whole task: the hunk is still left out; the pull request holds the selection.
              await turnPicker.selectOption({ label: 'Whole task' })
              await page.waitForURL(/\/review$/)
              await expect.poll(() => boxState(fileBox)).toBe('indeterminate')
              const form = page.getByRole('form', { name: 'Open pull request' })
              await form.getByRole('button', { name: 'Open pull request' }).click()
              await page.locator('.publish-done').waitFor({ timeout: 60_000 })
              expect(github.pulls).toHaveLength(1)
              const bare = join(gitServer.root, 'octocat', 'shop.git')
              const pushed = (path: string) => gitRaw(bare, 'show', `${github.pulls[0]!.head.ref}:${path}`)
              expect(await pushed('src/api.js')).toBe(asFile(withLine(API, 2, `  ${GET_V2}`)))
              expect(await pushed('src/util.js')).toBe(UTIL_V1)
              expect(github.violations).toEqual([])
              expect(pageErrors).toEqual([])
            })
          },
        )
      } finally {
        await github.close()
        await gitServer.close()
      }
    },
    TIMEOUT,
  )

  it(
    'applies a selection with a hunk left out to the folder, byte for byte',
    async () => {
      const folder = join(await tempDir(), 'project')
      await writeFiles(folder, { 'src/api.js': asFile(API), 'src/util.js': UTIL_V0 })
      await withTestAppServer(
        { script: TURN_ONE, rendererDir: rendererDir() },
        async ({ openUrl, services }) => {
          await withBrowserPage(async (page, pageErrors) => {
            await page.goto(openUrl)
            await page.getByRole('tab', { name: /Folder/ }).click()
            await page.getByLabel('Folder path on the server machine').fill(folder)
            const id = await submitTask(page, 'Tighten the API')
            await openReview(page)
            await leaveOutSecondHunk(page)
            await expect
              .poll(() => services.engine.get(id).excludedHunks?.map((h) => h.path), { timeout: 10_000 })
              .toEqual(['src/api.js'])

            const form = page.getByRole('form', { name: 'Apply to folder' })
            expect(await form.getByLabel('Write the files').isChecked()).toBe(true)
            await form.getByRole('button', { name: 'Apply to folder' }).click()
            const done = page.locator('.publish-done')
            await done.waitFor({ timeout: 60_000 })
            expect(await done.innerText()).toMatch(/^Applied 2 files to/)
            await shot(page, '26-applied-to-folder')

            // Byte for byte: latin1 maps each byte to one character (and reads as a diff when it differs).
            const bytes = async (path: string) => (await readFile(join(folder, path))).toString('latin1')
            expect(await bytes('src/api.js')).toBe(asFile(withLine(API, 2, `  ${GET_V1}`)))
            expect(await bytes('src/util.js')).toBe(UTIL_V1)
            expect(pageErrors).toEqual([])
          })
        },
      )
    },
    TIMEOUT,
  )
})
