import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { CALL_NAMES, EVENT_CHANNEL } from '../shared/channels'
import type { Api } from '../shared/api'
import type { AppEvent } from '../shared/events'

/** window.api: exactly the contract's calls (no generic invoke), events, and paths of dropped files. */
export function buildApi(): Api {
  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [name, (input: unknown) => ipcRenderer.invoke(name, input)]),
  )
  return {
    ...(calls as Omit<Api, 'onEvent' | 'fileSource'>),
    onEvent(listener: (event: AppEvent) => void): () => void {
      // The page gets the payload only, never the IPC event (which carries the sender).
      const forward = (_event: unknown, payload: AppEvent): void => listener(payload)
      ipcRenderer.on(EVENT_CHANNEL, forward)
      return () => {
        ipcRenderer.removeListener(EVENT_CHANNEL, forward)
      }
    },
    async fileSource(file: File) {
      const path = webUtils.getPathForFile(file)
      return path
        ? { ok: true, value: path }
        : { ok: false, error: { kind: 'invalid_input', message: 'That file has no path on disk.' } }
    },
  }
}

contextBridge.exposeInMainWorld('api', buildApi())
