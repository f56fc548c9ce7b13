import type { Settings, SettingsPatch } from '../shared/settings'
import type { SecretEndpoints, SecretName, SecretsStatus, SystemStatus } from '../shared/system'
import type { TaskEngine } from './engine/task-engine'

/** Settings as the user left them; persisted by the transport's host (electron-store, or a file). */
export interface SettingsStore {
  get(): Settings
  update(patch: SettingsPatch): Promise<Settings>
}

/**
 * Credentials: written and removed from the UI, read only by the engine. Each is bound to the endpoint
 * (origin) it was entered for and is handed out only for that endpoint (src/main/secrets/secret-store.ts).
 */
export interface SecretStore {
  /** Whether each is set and where it is bound; given the endpoints in effect, whether those differ. */
  status(current?: SecretEndpoints): Promise<SecretsStatus>
  /**
   * The value, to be sent to `endpoint`; throws `secret_endpoint_changed` (and returns nothing) when the
   * secret is bound to another endpoint or to none.
   */
  get(name: SecretName, endpoint: string): Promise<string | undefined>
  /** Stores the value bound to `endpoint`. */
  set(name: SecretName, value: string, endpoint: string): Promise<void>
  /** The user's confirmation: the stored secret may now be sent to `endpoint` (and only there). */
  allowEndpoint(name: SecretName, endpoint: string): Promise<void>
  delete(name: SecretName): Promise<void>
}

/** The Docker engine and the agent image, for Settings and the first-run check. */
export interface SystemService {
  status(): Promise<SystemStatus>
  buildImage(): Promise<{ tag: string }>
}

/** What only a desktop shell can do; absent in the headless server. */
export interface DesktopService {
  pickFolder(): Promise<string | null>
  pickZip(): Promise<string | null>
  /** Where to save a file (an export); null when the user cancelled. */
  pickSavePath(defaultName: string, filter: { name: string; extensions: string[] }): Promise<string | null>
  openExternal(url: string): Promise<void>
}

export interface Services {
  engine: TaskEngine
  settings: SettingsStore
  secrets: SecretStore
  system: SystemService
  desktop?: DesktopService
}
