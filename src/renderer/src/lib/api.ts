import type { Api } from '../../../shared/api'
import { createHttpBridge } from './http-bridge'

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser. */
    api?: Api
  }
}

/** The engine's calls: the preload's bridge in the desktop app, HTTP + SSE to the headless server in a browser. */
export const api: Api = window.api ?? createHttpBridge(window.location.origin)

/** True in the desktop app (native dialogs, paths of dropped files). */
export const isDesktop = window.api !== undefined
