/**
 * Updates from GitHub releases (electron-updater, electron-builder.yml `publish`): checked only in a
 * packaged app, shortly after start and then every few hours; nothing is downloaded or installed
 * without the user saying so. The policy lives here, Electron-free (electron-updater's autoUpdater and a
 * dialog are passed in), so that it runs under Node in tests; src/main/index.ts only wires it.
 */

/** What of electron-updater's AppUpdater this uses (autoUpdater fits). */
export interface Updater {
  autoDownload: boolean
  autoInstallOnAppQuit: boolean
  on(event: 'update-available', listener: (info: { version: string }) => void): unknown
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  checkForUpdates(): Promise<unknown>
  downloadUpdate(): Promise<unknown>
  quitAndInstall(): void
}

/** A question to the user; resolves with the button index (0 is the yes answer). */
export interface UpdatePrompt {
  message: string
  detail: string
  buttons: [string, string]
}

export interface UpdateDeps {
  isPackaged: boolean
  env?: NodeJS.ProcessEnv
  /** Made only when updates are on (electron-updater reads app-update.yml on first use). */
  updater: () => Updater
  ask: (prompt: UpdatePrompt) => Promise<number>
  log?: (message: string) => void
  firstCheckMs?: number
  everyMs?: number
  timers?: {
    setTimeout: (fn: () => void, ms: number) => unknown
    setInterval: (fn: () => void, ms: number) => unknown
    clear: (handle: unknown) => void
  }
}

export type UpdatePolicy = { enabled: true } | { enabled: false; reason: string }

/** Whether to look for updates at all: never from a checkout (no release to compare with), or when asked not to. */
export function updatePolicy(opts: { isPackaged: boolean; env?: NodeJS.ProcessEnv }): UpdatePolicy {
  if (!opts.isPackaged) return { enabled: false, reason: 'not a packaged app' }
  if ((opts.env ?? process.env).CODEX_NO_UPDATE_CHECK === '1') {
    return { enabled: false, reason: 'CODEX_NO_UPDATE_CHECK=1' }
  }
  return { enabled: true }
}

const DEFAULT_TIMERS = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms).unref(),
  setInterval: (fn: () => void, ms: number): unknown => setInterval(fn, ms).unref(),
  clear: (handle: unknown): void => clearTimeout(handle as NodeJS.Timeout),
}

/** Starts checking (when the policy allows); returns what stops it. */
export function startUpdates(deps: UpdateDeps): () => void {
  const log = deps.log ?? ((m: string) => console.log(`[updates] ${m}`))
  const policy = updatePolicy({ isPackaged: deps.isPackaged, env: deps.env })
  if (!policy.enabled) {
    log(`not checking for updates: ${policy.reason}`)
    return () => undefined
  }
  const updater = deps.updater()
  // The user decides: no download before they agree, no install before they agree to download.
  updater.autoDownload = false
  updater.autoInstallOnAppQuit = false
  let asking = false
  let offered: string | undefined

  updater.on('update-available', (info) => {
    if (asking || offered === info.version) return
    asking = true
    offered = info.version
    void deps
      .ask({
        message: `codex-sys ${info.version} is available.`,
        detail: 'Download it now? You choose when it is installed once it has downloaded.',
        buttons: ['Download', 'Not now'],
      })
      .then((answer) => {
        if (answer !== 0) return
        // Agreed: a downloaded update may now go in when the app quits, if not at once below.
        updater.autoInstallOnAppQuit = true
        return updater.downloadUpdate().then(() => undefined)
      })
      .catch((err: unknown) => log(`download failed: ${String(err)}`))
      .finally(() => (asking = false))
  })
  updater.on('update-downloaded', (info) => {
    void deps
      .ask({
        message: `codex-sys ${info.version} is ready to install.`,
        detail: 'Restart now to install it (running tasks are cancelled), or it is installed when you quit.',
        buttons: ['Restart and install', 'When I quit'],
      })
      .then((answer) => {
        if (answer === 0) updater.quitAndInstall()
      })
      .catch((err: unknown) => log(`install failed: ${String(err)}`))
  })
  // Offline, rate-limited, no release yet: worth a log line, never a dialog.
  updater.on('error', (error) => log(`update check failed: ${error.message}`))

  const timers = deps.timers ?? DEFAULT_TIMERS
  const check = (): void =>
    void updater.checkForUpdates().catch((err: unknown) => log(`update check failed: ${String(err)}`))
  const first = timers.setTimeout(check, deps.firstCheckMs ?? 10_000)
  const every = timers.setInterval(check, deps.everyMs ?? 6 * 60 * 60 * 1000)
  return () => {
    timers.clear(first)
    timers.clear(every)
  }
}
