import { contextBridge, ipcRenderer } from 'electron'
import { CALL_NAMES, EVENT_CHANNEL } from '../shared/channels'
import type { TaskEvent } from '../shared/events'

/** window.api: exactly the contract's calls, plus an event subscription that returns its unsubscribe. */
const api = {
  ...Object.fromEntries(
    CALL_NAMES.map((name) => [name, (input: unknown) => ipcRenderer.invoke(name, input)]),
  ),
  onTaskEvent(listener: (event: TaskEvent) => void): () => void {
    const forward = (_event: unknown, payload: TaskEvent): void => listener(payload)
    ipcRenderer.on(EVENT_CHANNEL, forward)
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, forward)
  },
}

contextBridge.exposeInMainWorld('api', api)
