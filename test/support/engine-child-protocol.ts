/** What engine-child.ts hands the engine process it forks (engine-child-main.ts), and what it says back. */
export const ENGINE_CHILD_ENV = 'CODEX_ENGINE_CHILD'

export interface EngineChildConfig {
  dataDir: string
  /** The scripted model server. */
  baseURL: string
  apiKey: string
  /** The agent image's base (CODEX_BASE_IMAGE). */
  baseImage: string
  settings?: Record<string, unknown>
}

export type EngineChildMessage = { type: 'ready'; url: string }
