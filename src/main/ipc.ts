import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { CALL_NAMES, EVENT_CHANNEL } from '../shared/contract'
import { subscribeAppEvents } from './engine/app-events'
import { createHandlers, invokeCall } from './engine/handlers'
import type { Services } from './services'

/** Binds every call of the contract to `ipcMain.handle`, accepting only the app's own window. */
export function bindContract(services: Services, win: BrowserWindow): () => void {
  const handlers = createHandlers(services)
  const fromOurWindow = (event: IpcMainInvokeEvent): boolean =>
    event.sender.id === win.webContents.id && event.senderFrame?.parent === null
  for (const name of CALL_NAMES) {
    ipcMain.handle(name, (event, input: unknown) => {
      if (!fromOurWindow(event)) {
        return { ok: false, error: { kind: 'invalid_input', message: 'Unknown sender' } }
      }
      return invokeCall(handlers, name, input)
    })
  }
  const stop = subscribeAppEvents(services.engine, (event) => {
    if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event)
  })
  return () => {
    stop()
    for (const name of CALL_NAMES) ipcMain.removeHandler(name)
  }
}
