import { useEffect, useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { TaskRecord } from '../../../../shared/task'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'

const EMPTY: readonly string[] = []

/**
 * The files the user left out, from the task record, changed optimistically and persisted with
 * `tasks.setExcluded` (a failed write puts the previous set back and reports why).
 */
export function useExcluded(task: TaskRecord | undefined): {
  excluded: ReadonlySet<string>
  setIncluded: (keys: string[], include: boolean) => void
  error: AppErrorData | null
  clearError: () => void
} {
  const saved = task?.excludedPaths ?? EMPTY
  const [excluded, setExcluded] = useState<ReadonlySet<string>>(() => new Set(saved))
  const [error, setError] = useState<AppErrorData | null>(null)
  const pending = useRef(0)

  // Follow the record (another window, or our own write coming back) unless a write is still in flight.
  useEffect(() => {
    if (pending.current === 0) setExcluded(new Set(saved))
  }, [saved])

  const setIncluded = (keys: string[], include: boolean): void => {
    if (!task) return
    const previous = excluded
    const next = new Set(previous)
    for (const key of keys) {
      if (include) next.delete(key)
      else next.add(key)
    }
    setExcluded(next)
    pending.current++
    void settle(() => api['tasks.setExcluded']({ id: task.id, paths: [...next].sort() })).then((result) => {
      pending.current--
      if (!result.ok) {
        setExcluded(previous)
        setError(result.error)
      }
    })
  }

  return { excluded, setIncluded, error, clearError: () => setError(null) }
}
