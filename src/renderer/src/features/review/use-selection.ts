import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { TaskRecord } from '../../../../shared/task'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { taskListStore } from '../../lib/tasks'
import {
  indexHunks,
  normalized,
  sameSelection,
  selectionOf,
  type Selection,
  type SelectionIndex,
} from './selection-model'

/** Toggles within this long of each other are saved as one write. */
export const SAVE_DELAY_MS = 120

export interface SelectionState {
  selection: Selection
  /** Files excluded whole, by key. */
  paths: ReadonlySet<string>
  /** Hunk exclusions by file key, then hunk key. */
  index: SelectionIndex
  /** Applies a change at once; it is saved shortly after (a burst of changes: one write, the latest). */
  change: (update: (current: Selection) => Selection) => void
  error: AppErrorData | null
  clearError: () => void
}

/**
 * What the user leaves out (files, hunks, lines), from the task record, changed optimistically and saved
 * with `tasks.setExcluded`: one write in flight at a time, the latest state wins; a failed write puts the
 * record's state back and reports why. While nothing is pending it follows the record.
 */
export function useSelection(task: TaskRecord | undefined): SelectionState {
  const recordPaths = task?.excludedPaths
  const recordHunks = task?.excludedHunks
  const saved = useMemo(
    () => selectionOf({ excludedPaths: recordPaths, excludedHunks: recordHunks }),
    [recordPaths, recordHunks],
  )
  const [selection, setSelection] = useState<Selection>(saved)
  const [error, setError] = useState<AppErrorData | null>(null)
  const latest = useRef(selection)
  const savedRef = useRef(saved)
  savedRef.current = saved
  const dirty = useRef(false)
  const inFlight = useRef(false)
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const id = task?.id

  useEffect(() => {
    if (dirty.current || inFlight.current) return
    latest.current = saved
    setSelection(saved)
  }, [saved])

  const flush = useCallback(async (): Promise<void> => {
    if (!id || inFlight.current || !dirty.current) return
    dirty.current = false
    inFlight.current = true
    const { paths, hunks } = normalized(latest.current)
    const result = await settle(() => api['tasks.setExcluded']({ id, paths: [...paths], hunks: [...hunks] }))
    inFlight.current = false
    if (!result.ok) {
      dirty.current = false
      latest.current = savedRef.current
      setSelection(savedRef.current)
      setError(result.error)
      return
    }
    if (dirty.current) return void flush()
    taskListStore().put([result.value])
  }, [id])

  useEffect(() => () => clearTimeout(timer.current), [])

  const change = useCallback(
    (update: (current: Selection) => Selection): void => {
      const next = update(latest.current)
      if (sameSelection(next, latest.current)) return
      latest.current = next
      dirty.current = true
      setSelection(next)
      clearTimeout(timer.current)
      timer.current = setTimeout(() => void flush(), SAVE_DELAY_MS)
    },
    [flush],
  )

  const paths = useMemo(() => new Set(selection.paths), [selection.paths])
  const index = useMemo(() => indexHunks(selection.hunks), [selection.hunks])
  const clearError = useCallback(() => setError(null), [])
  return { selection, paths, index, change, error, clearError }
}
