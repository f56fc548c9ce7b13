import { useCallback, useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { taskListStore } from '../../lib/tasks'

/** An edit of one file's right-hand side, made on top of `base` (the content the diff showed). */
interface Draft {
  base: string
  content: string
  saved: boolean
  /** The last content saved from this draft: the base the diff comes back with. */
  sent?: string
}

export interface FileEdits {
  /** The edited text of a file, when it was edited on top of this `base`. */
  contentOf: (key: string, base: string) => string | undefined
  isDirty: (key: string, base: string) => boolean
  edit: (key: string, base: string, content: string) => void
  /** Saves a file's unsaved edit with `tasks.saveFile`; then `onSaved` reloads the diff. */
  save: (key: string) => Promise<void>
  saving: boolean
  error?: AppErrorData
  clearError: () => void
}

/**
 * Edits made in the review's diff editor, kept per file until saved into the workspace. A draft belongs to
 * the content it was made on: once the diff reloads with new content (saved, or a follow-up), it lapses.
 */
export function useFileEdits(taskId: string, onSaved: () => void): FileEdits {
  const drafts = useRef(new Map<string, Draft>())
  const [, setVersion] = useState(0)
  const bump = (): void => setVersion((n) => n + 1)
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<AppErrorData>()
  const inFlight = useRef(new Set<string>())

  const current = (key: string, base: string): Draft | undefined => {
    const d = drafts.current.get(key)
    return d && (d.base === base || d.sent === base) ? d : undefined
  }

  const edit = useCallback((key: string, base: string, content: string): void => {
    const before = drafts.current.get(key)
    if (before && before.content === content) return
    if (!before && content === base) return
    const sent = before?.sent === base ? base : undefined
    drafts.current.set(key, { base, content, saved: content === base, sent })
    bump()
  }, [])

  const save = useCallback(
    async (key: string): Promise<void> => {
      const d = drafts.current.get(key)
      if (!d || d.saved || inFlight.current.has(key)) return
      inFlight.current.add(key)
      setSaving(true)
      setError(undefined)
      const sent = d.content
      const result = await settle(() => api['tasks.saveFile']({ id: taskId, path: key, content: sent }))
      inFlight.current.delete(key)
      setSaving(inFlight.current.size > 0)
      if (!result.ok) {
        setError(result.error)
        return
      }
      const now = drafts.current.get(key)
      if (now) drafts.current.set(key, { ...now, saved: now.content === sent, sent })
      bump()
      taskListStore().put([result.value])
      onSaved()
    },
    [taskId, onSaved],
  )

  return {
    contentOf: (key, base) => current(key, base)?.content,
    isDirty: (key, base) => {
      const d = current(key, base)
      return Boolean(d && !d.saved)
    },
    edit,
    save,
    saving,
    error,
    clearError: useCallback(() => setError(undefined), []),
  }
}
