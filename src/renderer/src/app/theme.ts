import { useEffect } from 'react'
import type { Settings } from '../../../shared/settings'

/** Applies the theme setting: `data-theme` on <html> forces light or dark; absent, the OS decides. */
export function useTheme(theme: Settings['theme'] | undefined): void {
  useEffect(() => {
    const root = document.documentElement
    if (theme === 'light' || theme === 'dark') root.dataset.theme = theme
    else delete root.dataset.theme
  }, [theme])
}
