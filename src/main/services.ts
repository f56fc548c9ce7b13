import type { Settings, SettingsPatch } from '../shared/settings'
import type { SecretName, SecretsStatus, SystemStatus } from '../shared/system'
import type { TaskEngine } from './engine/task-engine'

/** Settings as the user left them; persisted by the transport's host (electron-store, or a file). */
export interface SettingsStore {
  get(): Settings
  update(patch: SettingsPatch): Promise<Settings>
}

/** Credentials: written and removed from the UI, read only by the engine. */
export interface SecretStore {
  status(): Promise<SecretsStatus>
  get(name: SecretName): Promise<string | undefined>
  set(name: SecretName, value: string): Promise<void>
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
