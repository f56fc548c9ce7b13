import { useCallback } from 'react'
import type { CommentInput } from '../../../../shared/review'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'
import { taskListStore } from '../../lib/tasks'
import { ActionFailed } from './action-error'

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
/** One comment action, without the task id (the hook adds it). */
export type CommentAction = Without<CommentInput, 'id'>

/**
 * The review's comments, through `tasks.comment`: each action updates the task record the engine returns
 * (the page re-renders from the store); a failure rejects with the engine's error (ActionFailed), shown
 * beside the comment it was for, and a composer keeps its text.
 */
export function useComments(id: string): { run: (action: CommentAction) => Promise<void> } {
  const run = useCallback(
    async (action: CommentAction): Promise<void> => {
      const result = await settle(() => api['tasks.comment']({ ...action, id } as CommentInput))
      if (!result.ok) throw new ActionFailed(result.error)
      taskListStore().put([result.value])
    },
    [id],
  )
  return { run }
}
