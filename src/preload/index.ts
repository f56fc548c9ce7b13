import { contextBridge } from 'electron'
import { buildApi } from './build-api'

// The preload exports nothing: a sandboxed preload runs as a plain script, so the bundle must not need
// CommonJS `exports`. It only exposes window.api.
contextBridge.exposeInMainWorld('api', buildApi())
