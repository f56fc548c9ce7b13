import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags for Debian's Chromium on these machines: headless, as root, and quiet on the network. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Debian's Chromium driven by playwright-core (a fresh profile each launch); fails clearly when missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is required for the browser tests: apt-get install -y chromium (looked for ${CHROMIUM})`,
    )
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}
