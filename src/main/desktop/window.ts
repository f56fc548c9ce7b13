import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron'
import { secureWebPreferences } from './security'

/** The main window's options: hidden until its first paint, with the secure web preferences. */
export function mainWindowOptions(opts: {
  preloadPath: string
  iconPath?: string
}): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: 'codex-sys',
    icon: opts.iconPath,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(opts.preloadPath),
  }
}

/** Brings the window to the front: restored if minimized, shown if hidden. */
export function focusWindow(win: BrowserWindow): void {
  if (win.isDestroyed()) return
  if (win.isMinimized()) win.restore()
  if (!win.isVisible()) win.show()
  win.focus()
}

const TASK_ID = /^[A-Za-z0-9_-]{1,80}$/

/** Focuses the window on a task's page (the renderer's hash route `#/task/<id>`). */
export function showTask(win: BrowserWindow, taskId: string): void {
  focusWindow(win)
  if (win.isDestroyed() || !TASK_ID.test(taskId)) return
  // A hash change is an in-page navigation: no reload, and will-navigate (which is denied) is not raised.
  void win.webContents
    .executeJavaScript(`window.location.hash = ${JSON.stringify(`#/task/${taskId}`)}`)
    .catch(() => undefined)
}
