import { createContext, useContext } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { TaskRecord } from '../../../../shared/task'

/** What a timeline row may act on: the task it belongs to (set by the task page; absent elsewhere). */
export interface TaskActions {
  task: Pick<TaskRecord, 'id' | 'status' | 'allowedHosts' | 'turnSnapshots'>
  onError: (error: AppErrorData) => void
}

export const TaskActionsContext = createContext<TaskActions | undefined>(undefined)

export const useTaskActions = (): TaskActions | undefined => useContext(TaskActionsContext)
