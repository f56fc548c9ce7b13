import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { launchBrowser } from '../support/browser'
import { writeFiles } from '../support/files'
import { crashMidTurn, finishStep, LONG_SLEEP, shell } from '../support/resume-crash'
import { withTestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

const SCREENSHOTS = join(process.cwd(), 'test/e2e/screenshots')

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

describe('resume in the browser', () => {
  it('kills the engine mid-turn, restarts it, and Resume takes the task to review with both turns’ work', async () => {
    const rendererDir = process.env.CODEX_RENDERER_DIR
    if (!rendererDir)
      throw new Error('CODEX_RENDERER_DIR is not set: the e2e global setup builds the renderer')
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'README.md': '# app\n' })
    // The engine process dies (SIGKILL) while step 2's command runs; step 1 wrote one.txt.
    const { taskId } = await crashMidTurn({
      repo,
      dataDir: join(root, 'data'),
      prompt: 'write one and two',
      script: [shell('echo one > one.txt'), LONG_SLEEP],
      toolCalls: 2,
      savedStep: 1,
    })

    const browser = await launchBrowser()
    try {
      // The restarted engine, on the same data dir, with the model's answers for the rest of the task.
      const script = [shell('echo two > two.txt'), finishStep('Wrote one and two.')]
      await withTestAppServer({ root, script, rendererDir }, async ({ server, services, model, openUrl }) => {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
        const pageErrors: string[] = []
        page.on('pageerror', (err) => pageErrors.push(err.message))
        await page.goto(openUrl)
        await page.goto(`${server.url}/#/task/${taskId}`)

        const task = page.getByRole('region', { name: 'Task' })
        await task
          .getByText('codex-sys stopped while this task was running.')
          .first()
          .waitFor({ timeout: 30_000 })
        const bar = task.getByRole('group', { name: 'Go on with this task' })
        await bar.getByText(/keeps the workspace and the conversation so far/).waitFor()
        await bar.getByRole('button', { name: 'Retry from scratch' }).waitFor()
        await shot(page, '60-resume-interrupted')
        await bar.getByRole('button', { name: 'Resume', exact: true }).click()

        await page.getByRole('button', { name: /Review changes/ }).click({ timeout: 120_000 })
        const tree = page.getByRole('tree', { name: 'Changed files' })
        await tree.getByText('one.txt').waitFor({ timeout: 30_000 })
        await tree.getByText('two.txt').waitFor()
        await shot(page, '61-resume-review')

        // The resumed turn went on from the saved conversation, with the note.
        const last = model.requests[0]!.body.messages.at(-1)
        expect(String(last?.content)).toMatch(
          /^\[codex-sys\] The previous turn was interrupted .* after step 1;/,
        )
        expect(services.engine.get(taskId)).toMatchObject({ status: 'review', usage: { steps: 4 } })
        expect(pageErrors).toEqual([])
      })
    } finally {
      await browser.close()
    }
  })
})
