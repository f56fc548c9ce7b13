import { useCallback, useState } from 'react'
import type { CommentInput } from '../../../../shared/review'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { taskListStore } from '../../lib/tasks'

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** One comment action, without the task id (the hook adds it). */
export type CommentAction = Without<CommentInput, 'id'>

/**
 * The review's comments, through `tasks.comment`: each action updates the task record the engine returns
 * (the page re-renders from the store); a failure is reported and rejects, so a composer keeps its text.
 */
export function useComments(id: string): {
  run: (action: CommentAction) => Promise<void>
  error: AppErrorData | null
  clearError: () => void
} {
  const [error, setError] = useState<AppErrorData | null>(null)
  const run = useCallback(
    async (action: CommentAction): Promise<void> => {
      const result = await settle(() => api['tasks.comment']({ ...action, id } as CommentInput))
      if (!result.ok) {
        setError(result.error)
        throw new Error(result.error.message)
      }
      setError(null)
      taskListStore().put([result.value])
    },
    [id],
  )
  return { run, error, clearError: useCallback(() => setError(null), []) }
}
