import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron'
import { CALL_NAMES, EVENT_CHANNEL } from '../shared/contract'
import type { Result } from '../shared/errors'
import { subscribeAppEvents } from './engine/app-events'
import { createHandlers, invokeCall } from './engine/handlers'
import type { Services } from './services'

export interface BindOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>
  /** True for the app's own pages (app://codex-sys, or the dev server under `electron-vite dev`). */
  isAppUrl: (url: string) => boolean
}

/** Calls are accepted only from the main frame of the app's window, showing one of the app's pages. */
export function isTrustedSender(
  win: BrowserWindow,
  event: IpcMainInvokeEvent,
  isAppUrl: BindOptions['isAppUrl'],
): boolean {
  if (win.isDestroyed() || event.sender.id !== win.webContents.id) return false
  const frame = event.senderFrame
  return frame !== null && frame.parent === null && isAppUrl(frame.url)
}

const REFUSED: Result<never> = {
  ok: false,
  error: { kind: 'invalid_input', message: 'Refused a call from outside the app window.' },
}

/**
 * Binds every call of the contract to `ipcMain.handle` (input validated by the contract's schema, errors as
 * data, never a stack) and forwards the engine's events to the window. Returns the unbind function.
 */
export function bindContract(services: Services, win: BrowserWindow, opts: BindOptions): () => void {
  const handlers = createHandlers(services)
  for (const name of CALL_NAMES) {
    opts.ipcMain.handle(name, (event, input: unknown) =>
      isTrustedSender(win, event, opts.isAppUrl) ? invokeCall(handlers, name, input) : REFUSED,
    )
  }
  const stop = subscribeAppEvents(services.engine, (event) => {
    if (win.isDestroyed() || !opts.isAppUrl(win.webContents.getURL())) return
    win.webContents.send(EVENT_CHANNEL, event)
  })
  return () => {
    stop()
    for (const name of CALL_NAMES) opts.ipcMain.removeHandler(name)
  }
}
