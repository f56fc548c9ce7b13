import { useCallback, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { DiscardRecord } from '../../../../shared/review'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { taskListStore } from '../../lib/tasks'
import { ActionFailed, errorOf } from './action-error'

export interface DiscardTarget {
  path: string
  hunk?: string
  lines?: number[]
  reason?: string
}

/** "src/a.ts (hunk)", "src/a.ts (2 lines)", "src/a.ts": what a discard removed, for the undo button. */
export function discardName(d: Pick<DiscardRecord, 'path' | 'hunk' | 'lines'>): string {
  if (d.lines?.length) return `${d.path} (${d.lines.length === 1 ? '1 line' : `${d.lines.length} lines`})`
  return d.hunk ? `${d.path} (hunk)` : d.path
}

/**
 * Discarding (reverting in the workspace) a file, hunk or lines with `tasks.discard`, and undoing the
 * latest with `tasks.undoDiscard`; `onChanged` runs after either succeeds (the diff is reloaded). A refused
 * discard rejects with the engine's error (ActionFailed), shown beside the button that asked for it; a
 * refused undo (the header's button, or Ctrl/Cmd+Z) is kept in `error`, for the page.
 */
export function useDiscards(
  id: string,
  onChanged: () => void,
): {
  discard: (target: DiscardTarget) => Promise<void>
  undo: () => Promise<void>
  busy: boolean
  error: AppErrorData | null
  clearError: () => void
} {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<AppErrorData | null>(null)

  const settleWith = useCallback(
    async (call: () => ReturnType<(typeof api)['tasks.discard']>): Promise<void> => {
      setBusy(true)
      const result = await settle(call)
      setBusy(false)
      if (!result.ok) throw new ActionFailed(result.error)
      taskListStore().put([result.value])
      onChanged()
    },
    [onChanged],
  )

  const discard = useCallback(
    (target: DiscardTarget) => settleWith(() => api['tasks.discard']({ id, ...target })),
    [id, settleWith],
  )
  const undo = useCallback(
    () =>
      settleWith(() => api['tasks.undoDiscard']({ id })).then(
        () => setError(null),
        (err: unknown) => setError(errorOf(err)),
      ),
    [id, settleWith],
  )
  return { discard, undo, busy, error, clearError: useCallback(() => setError(null), []) }
}
