/** What closing needs of a BrowserWindow and of `app` (Electron's objects fit; tests pass fakes). */
export interface ClosableWindow {
  on(event: 'close', listener: (event: { preventDefault(): void }) => void): unknown
  hide(): void
  isDestroyed(): boolean
}

export interface QuittableApp {
  on(event: 'before-quit', listener: (event: { preventDefault(): void }) => void): unknown
  quit(): void
}

/**
 * Closing the window (or quitting) first stops the engine, which cancels running tasks and removes their
 * containers, then quits. The window hides at once; the engine gets `timeoutMs` before the app quits anyway.
 */
export function quitGracefully(deps: {
  app: QuittableApp
  win: ClosableWindow
  stop: () => Promise<void>
  timeoutMs?: number
}): void {
  let state: 'open' | 'stopping' | 'stopped' = 'open'
  const shutdown = (event: { preventDefault(): void }): void => {
    if (state === 'stopped') return
    event.preventDefault()
    if (state === 'stopping') return
    state = 'stopping'
    if (!deps.win.isDestroyed()) deps.win.hide()
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deps.timeoutMs ?? 20_000)
    })
    void Promise.race([deps.stop().catch(() => undefined), timeout]).then(() => {
      clearTimeout(timer)
      state = 'stopped'
      deps.app.quit()
    })
  }
  deps.win.on('close', shutdown)
  deps.app.on('before-quit', shutdown)
}
