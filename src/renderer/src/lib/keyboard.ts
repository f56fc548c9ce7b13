/** Keyboard helpers: the platform's command key, shortcut labels, and what counts as typing. */

export const isMac = /Mac|iPhone|iPad/.test(
  typeof navigator === 'undefined' ? '' : navigator.platform || navigator.userAgent,
)

/** True when the platform's command key (⌘ on macOS, Ctrl elsewhere) is held, and no other modifier. */
export function isMod(event: KeyboardEvent | React.KeyboardEvent): boolean {
  const mod = isMac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey
  return mod && !event.altKey
}

/** "⌘N" on macOS, "Ctrl+N" elsewhere. */
export function modLabel(key: string): string {
  return isMac ? `⌘${key}` : `Ctrl+${key}`
}

/** True when keys typed at `target` are text (inputs, textareas, editors), not commands. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag !== 'INPUT') return false
  const type = (target as HTMLInputElement).type
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'file'].includes(type)
}

/** Element ids that shortcuts move focus to. */
export const FOCUS_IDS = {
  taskSearch: 'task-search',
  taskList: 'task-list',
  main: 'main',
  prompt: 'new-task-prompt',
} as const

export function focusById(id: string, select = false): void {
  const el = document.getElementById(id)
  if (!el) return
  el.focus()
  if (select && el instanceof HTMLInputElement) el.select()
}
