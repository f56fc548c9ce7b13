import type { Api } from '../../../shared/api'

/** Placeholder: the HTTP + SSE bridge to the headless server is being written. */
export function createHttpBridge(_origin: string): Api {
  throw new Error('The HTTP bridge is not written yet')
}
