import type { Settings } from '../../shared/settings'
import type { SettingsStore } from '../services'

export type Theme = Settings['theme']

/**
 * A settings store that applies the theme (to `nativeTheme.themeSource`, which the page's
 * prefers-color-scheme follows) now and after every update.
 */
export function syncTheme(store: SettingsStore, apply: (theme: Theme) => void): SettingsStore {
  apply(store.get().theme)
  return {
    get: () => store.get(),
    async update(patch) {
      const settings = await store.update(patch)
      apply(settings.theme)
      return settings
    },
  }
}
