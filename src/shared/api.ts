import type { CallInput, CallName, CallOutputs } from './contract'
import type { Result } from './errors'
import type { AppEvent } from './events'

/** One call of the contract as the UI sees it: never throws, resolves with a Result. */
export type ApiCall<N extends CallName> = (input: CallInput<N>) => Promise<Result<CallOutputs[N]>>

/**
 * What the renderer talks to: `window.api` from the preload in the desktop app, or the HTTP bridge in a
 * browser. Exactly the contract's calls, an event subscription, and the one thing a drop needs.
 */
export type Api = { [N in CallName]: ApiCall<N> } & {
  /** Subscribes to every engine event; returns the unsubscribe function. */
  onEvent(listener: (event: AppEvent) => void): () => void
  /**
   * Turns a dropped or picked file into something a task source can name: its path on disk in the
   * desktop app; in a browser, the path of an upload kept by the server.
   */
  fileSource(file: File): Promise<Result<string>>
}
