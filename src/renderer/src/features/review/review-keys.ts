import { useEffect, useRef } from 'react'
import { isMod, isTyping } from '../../lib/keyboard'

/** True when keys at `target` belong to something else: an input, Monaco, a dialog. */
function elsewhere(target: EventTarget | null): boolean {
  if (isTyping(target)) return true
  return target instanceof Element && target.closest('.monaco-editor, [role="dialog"]') !== null
}

/**
 * The page's keys (not while typing, nor in the editor, whose keys are the pane's): j/k or ↓/↑ move
 * between files, Space toggles the selected file's include box, Ctrl/Cmd+Z undoes the latest discard.
 */
export function useReviewKeys(handlers: {
  move: (delta: 1 | -1) => void
  toggle: () => void
  /** Returns false when there is nothing to undo (the key is left alone). */
  undo?: () => boolean
}): void {
  const ref = useRef(handlers)
  ref.current = handlers
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || elsewhere(e.target)) return
      if (isMod(e) && !e.shiftKey && e.key.toLowerCase() === 'z') {
        if (ref.current.undo?.()) e.preventDefault()
        return
      }
      if (e.altKey || e.ctrlKey || e.metaKey) return
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
