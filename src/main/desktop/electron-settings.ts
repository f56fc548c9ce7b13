import ElectronStore from 'electron-store'
import { openConfSettings, type PersistentSettingsStore } from '../settings/conf-settings'

/**
 * Settings for the desktop app: electron-store's `settings.json` in the app's userData folder, through the
 * same read-validate-merge-write implementation as the file store. Electron only: import from index.ts.
 */
export function openElectronSettings(): PersistentSettingsStore {
  return openConfSettings(
    (options) => new ElectronStore<Record<string, unknown>>({ name: 'settings', ...options }),
  )
}
