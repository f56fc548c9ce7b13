import { useSyncExternalStore } from 'react'

const query = (): MediaQueryList | undefined =>
  typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : undefined

/** True when the window is dark: `data-theme` on <html> when set, else the OS preference. */
function isDark(): boolean {
  const forced = document.documentElement.dataset.theme
  if (forced === 'dark') return true
  if (forced === 'light') return false
  return query()?.matches ?? false
}

function subscribe(listener: () => void): () => void {
  const media = query()
  media?.addEventListener('change', listener)
  const observer = new MutationObserver(listener)
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
  return () => {
    media?.removeEventListener('change', listener)
    observer.disconnect()
  }
}

export function useDark(): boolean {
  return useSyncExternalStore(subscribe, isDark)
}
