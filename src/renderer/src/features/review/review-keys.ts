import { useEffect, useRef } from 'react'
import { isTyping } from '../../lib/keyboard'

/** j/k or ↓/↑ move between files, Space toggles the selected file's include box (not while typing). */
export function useReviewKeys(handlers: { move: (delta: 1 | -1) => void; toggle: () => void }): void {
  const ref = useRef(handlers)
  ref.current = handlers
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return
      if (e.target instanceof Element && e.target.closest('.monaco-editor, [role="dialog"]')) return
      if (e.key === 'j' || e.key === 'ArrowDown') ref.current.move(1)
      else if (e.key === 'k' || e.key === 'ArrowUp') ref.current.move(-1)
      else if (
        e.key === ' ' &&
        !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLInputElement)
      )
        ref.current.toggle()
      else return
      e.preventDefault()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
