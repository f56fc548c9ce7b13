import { ipcRenderer, webUtils } from 'electron'
import { CALL_NAMES, EVENT_CHANNEL } from '../shared/channels'
import type { Api } from '../shared/api'
import type { AppEvent } from '../shared/events'

/**
 * window.api: exactly the contract's calls (no generic invoke or send), the event subscription, and the path
 * of a dropped or picked file. Built for a sandboxed renderer: this bundle imports only electron and the
 * dependency-free channel names.
 */
export function buildApi(): Api {
  const calls = Object.fromEntries(
    CALL_NAMES.map((name) => [name, (input: unknown) => ipcRenderer.invoke(name, input ?? {})]),
  )
  return {
    ...(calls as Omit<Api, 'onEvent' | 'fileSource'>),
    onEvent(listener: (event: AppEvent) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onEvent needs a function')
      // The page gets the payload only, never the IPC event (which carries the sender).
      const forward = (_event: unknown, payload: AppEvent): void => listener(payload)
      ipcRenderer.on(EVENT_CHANNEL, forward)
      return () => {
        ipcRenderer.removeListener(EVENT_CHANNEL, forward)
      }
    },
    async fileSource(file: File) {
      let path = ''
      try {
        path = webUtils.getPathForFile(file)
      } catch {
        // Not a File from a drop or an <input>: no path.
      }
      return path
        ? { ok: true, value: path }
        : {
            ok: false,
            error: {
              kind: 'invalid_input',
              message: 'That file has no path on disk.',
              hint: 'Drop it from your file manager, or choose it with the dialog.',
            },
          }
    },
  }
}
