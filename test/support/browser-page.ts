/**
 * One browser page for a browser test: Debian's Chromium (launchBrowser) with a desktop-sized page, and the
 * page's uncaught errors collected so the test can assert there were none. The browser closes afterwards.
 */
import type { Page } from 'playwright-core'
import { launchBrowser } from './browser'

export async function withBrowserPage<T>(fn: (page: Page, pageErrors: string[]) => Promise<T>): Promise<T> {
  const browser = await launchBrowser()
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const pageErrors: string[] = []
    page.on('pageerror', (err) => pageErrors.push(err.message))
    return await fn(page, pageErrors)
  } finally {
    await browser.close()
  }
}
