import Conf from 'conf'
import { openConfSettings, type PersistentSettingsStore } from './conf-settings'

/** Settings in `<dir>/settings.json` (conf): the headless server's and the CLI's store. */
export function openFileSettings(dir: string): PersistentSettingsStore {
  return openConfSettings(
    (options) => new Conf<Record<string, unknown>>({ cwd: dir, configName: 'settings', ...options }),
  )
}

export type { PersistentSettingsStore, SettingsRecovery } from './conf-settings'
export type { SettingsPatch } from './settings-patch'
