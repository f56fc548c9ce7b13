import { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  startUpdates,
  updatePolicy,
  type UpdatePrompt,
  type Updater,
} from '../../../src/main/desktop/updates'

/** electron-updater's autoUpdater as far as the policy sees it: events, and calls counted. */
class FakeUpdater extends EventEmitter implements Updater {
  autoDownload = true
  autoInstallOnAppQuit = true
  checks = 0
  downloads = 0
  installs = 0
  async checkForUpdates(): Promise<unknown> {
    this.checks++
    return null
  }
  async downloadUpdate(): Promise<unknown> {
    this.downloads++
    return []
  }
  quitAndInstall(): void {
    this.installs++
  }
}

function harness(opts: { isPackaged?: boolean; answers?: number[]; env?: NodeJS.ProcessEnv } = {}) {
  const updater = new FakeUpdater()
  const asked: UpdatePrompt[] = []
  const answers = [...(opts.answers ?? [])]
  const timers: Array<{ kind: 'once' | 'every'; ms: number; fn: () => void; cleared: boolean }> = []
  const logs: string[] = []
  let made = 0
  const stop = startUpdates({
    isPackaged: opts.isPackaged ?? true,
    env: opts.env ?? {},
    updater: () => {
      made++
      return updater
    },
    ask: async (prompt) => {
      asked.push(prompt)
      return answers.shift() ?? 1
    },
    log: (m) => logs.push(m),
    timers: {
      setTimeout: (fn, ms) => timers.push({ kind: 'once', ms, fn, cleared: false }) - 1,
      setInterval: (fn, ms) => timers.push({ kind: 'every', ms, fn, cleared: false }) - 1,
      clear: (handle) => {
        const timer = timers[handle as number]
        if (timer) timer.cleared = true
      },
    },
  })
  return { updater, asked, timers, logs, stop, made: () => made }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

describe('update policy', () => {
  it('checks only in a packaged app, unless CODEX_NO_UPDATE_CHECK=1', () => {
    expect(updatePolicy({ isPackaged: false, env: {} })).toEqual({
      enabled: false,
      reason: 'not a packaged app',
    })
    expect(updatePolicy({ isPackaged: true, env: {} })).toEqual({ enabled: true })
    expect(updatePolicy({ isPackaged: true, env: { CODEX_NO_UPDATE_CHECK: '1' } }).enabled).toBe(false)
  })

  it('from a checkout: electron-updater is never touched and nothing is scheduled', () => {
    const h = harness({ isPackaged: false })
    expect(h.made()).toBe(0)
    expect(h.timers).toEqual([])
    expect(h.logs).toEqual(['not checking for updates: not a packaged app'])
  })

  it('packaged: never downloads or installs by itself; checks after start and every 6 hours', async () => {
    const h = harness()
    expect(h.updater.autoDownload).toBe(false)
    expect(h.updater.autoInstallOnAppQuit).toBe(false)
    expect(h.timers.map((t) => [t.kind, t.ms])).toEqual([
      ['once', 10_000],
      ['every', 6 * 60 * 60 * 1000],
    ])
    for (const t of h.timers) t.fn()
    expect(h.updater.checks).toBe(2)
    h.stop()
    expect(h.timers.every((t) => t.cleared)).toBe(true)
  })

  it('an update found is offered; "Not now" downloads nothing and the same version is not offered again', async () => {
    const h = harness({ answers: [1] })
    h.updater.emit('update-available', { version: '0.2.0' })
    await settle()
    expect(h.asked.map((a) => a.message)).toEqual(['codex-sys 0.2.0 is available.'])
    expect(h.asked[0]?.buttons).toEqual(['Download', 'Not now'])
    expect(h.updater.downloads).toBe(0)
    expect(h.updater.autoInstallOnAppQuit).toBe(false)
    h.updater.emit('update-available', { version: '0.2.0' })
    await settle()
    expect(h.asked).toHaveLength(1)
  })

  it('"Download" downloads; installing waits for "Restart and install" (or the quit the user chose)', async () => {
    const h = harness({ answers: [0, 1, 0] })
    h.updater.emit('update-available', { version: '0.2.0' })
    await settle()
    expect(h.updater.downloads).toBe(1)
    expect(h.updater.autoInstallOnAppQuit).toBe(true)
    h.updater.emit('update-downloaded', { version: '0.2.0' })
    await settle()
    expect(h.asked[1]?.buttons).toEqual(['Restart and install', 'When I quit'])
    expect(h.updater.installs).toBe(0)
    h.updater.emit('update-downloaded', { version: '0.2.0' })
    await settle()
    expect(h.updater.installs).toBe(1)
  })

  it('a failed check is logged, never put in front of the user', async () => {
    const h = harness()
    h.updater.emit('error', new Error('net::ERR_INTERNET_DISCONNECTED'))
    await settle()
    expect(h.asked).toEqual([])
    expect(h.logs).toContain('update check failed: net::ERR_INTERNET_DISCONNECTED')
  })

  it('the main process wires it to electron-updater with app.isPackaged, and nothing turns auto-download on', async () => {
    const main = await readFile(fileURLToPath(new URL('../../../src/main/index.ts', import.meta.url)), 'utf8')
    expect(main).toMatch(/startUpdates\(\{\s*isPackaged: app\.isPackaged,/)
    expect(main).toContain('electronUpdater.autoUpdater')
    expect(main).not.toMatch(/autoDownload\s*=\s*true|checkForUpdatesAndNotify/)
    const pkg = JSON.parse(
      await readFile(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
    )
    expect((pkg as { dependencies: Record<string, string> }).dependencies['electron-updater']).toBeDefined()
  })
})
