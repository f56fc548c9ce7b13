import { useEffect } from 'react'
import { FOCUS_IDS, focusById, isMod } from '../lib/keyboard'
import { navigate } from '../lib/route'

/**
 * Window-wide shortcuts: Ctrl/Cmd+N new task, Ctrl/Cmd+, settings, Ctrl/Cmd+K task search.
 * (Alt+↑/↓ belong to the task list, which knows the visible order.)
 */
export function useGlobalShortcuts(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (!isMod(event) || event.shiftKey) return
      const key = event.key.toLowerCase()
      if (key === 'n') {
        navigate({ page: 'new' })
        requestAnimationFrame(() => focusById(FOCUS_IDS.prompt))
      } else if (key === ',') {
        navigate({ page: 'settings' })
      } else if (key === 'k') {
        focusById(FOCUS_IDS.taskSearch, true)
      } else {
        return
      }
      event.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
