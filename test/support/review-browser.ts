/**
 * Helpers of the review's browser tests: the built renderer, screenshots, a task started from the new-task
 * page, and what Monaco's diff editor shows (each side's text, the lines it marks as inserted or deleted).
 * Page code runs as strings: DOM types are not these files' (and the app's CSP forbids eval, which
 * page.waitForFunction needs for a string; DevTools' evaluate is exempt).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'

const SCREENSHOTS = join(process.cwd(), 'test/e2e/screenshots')

/** The renderer the e2e global setup built. */
export function rendererDir(): string {
  const dir = process.env.CODEX_RENDERER_DIR
  if (!dir) throw new Error('CODEX_RENDERER_DIR is not set: the e2e global setup builds the renderer')
  return dir
}

/** A screenshot of the page into test/e2e/screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
}

/** Types the task and submits it (Ctrl+Enter) once a source is chosen; the new task's id. */
export async function submitTask(page: Page, prompt: string): Promise<string> {
  const task = page.getByLabel('Task', { exact: true })
  await task.fill(prompt)
  await task.press('Control+Enter')
  await page.waitForURL(/#\/task\//)
  return /#\/task\/([^/]+)/.exec(page.url())![1]!
}

/** From the task page, "Review changes" once the turn ended; the review route. */
export async function openReview(page: Page): Promise<void> {
  await page.getByRole('button', { name: /Review changes/ }).click({ timeout: 150_000 })
  await page.waitForURL(/\/review/)
}

type DiffSide = 'original' | 'modified'

const sideLines = (side: DiffSide): string => `.monaco-diff-editor .editor.${side} .view-lines`

/** The text Monaco shows in one side of the diff editor (non-breaking spaces as spaces). */
export async function sideText(page: Page, side: DiffSide): Promise<string> {
  const lines = page.locator(sideLines(side))
  await lines.waitFor()
  return (await lines.innerText()).replace(/\u00a0/g, ' ')
}

/** How many lines Monaco marks as changed on a side: inserted on the modified, deleted on the original. */
export async function markedLines(page: Page, side: DiffSide): Promise<number> {
  const mark = side === 'modified' ? 'line-insert' : 'line-delete'
  return page.locator(`.monaco-diff-editor .editor.${side} .view-overlays .${mark}`).count()
}

/** Clicks the line of the modified side showing `text` (in reading mode: the cursor moves there). */
export async function clickModifiedLine(page: Page, text: string): Promise<void> {
  await page.locator(sideLines('modified')).getByText(text).click()
  await page.locator('.monaco-diff-editor .editor.modified .monaco-editor.focused').waitFor()
}

/** A checkbox's own state: checked, indeterminate (the tri-state's "some"), or neither. */
export async function boxState(box: Locator): Promise<'checked' | 'indeterminate' | 'unchecked'> {
  return box.evaluate((el: { checked: boolean; indeterminate: boolean }) =>
    el.indeterminate ? 'indeterminate' : el.checked ? 'checked' : 'unchecked',
  )
}

/** The include boxes' labels in the file tree ("Include src/", "Include src/api.js"). */
export async function treeBoxLabels(tree: Locator): Promise<string[]> {
  const boxes = tree.locator('input[type="checkbox"]')
  const labels: string[] = []
  for (let i = 0; i < (await boxes.count()); i++)
    labels.push((await boxes.nth(i).getAttribute('aria-label')) ?? '')
  return labels
}
