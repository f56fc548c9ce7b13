import { useCallback, useRef, useState } from 'react'
import type { PublishInput } from '../../../../shared/contract'
import type { AppErrorData } from '../../../../shared/errors'
import type { TaskOutcome } from '../../../../shared/task'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'

export interface PublishState {
  busy: boolean
  error?: AppErrorData
  outcome?: TaskOutcome
  /** Runs one `tasks.publish`; ignored while one is in flight (nothing double-submits). */
  run: (input: PublishInput) => Promise<TaskOutcome | undefined>
  clearError: () => void
}

/** One publishing action's call: busy while it runs, its outcome or its error after. */
export function usePublish(): PublishState {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<AppErrorData>()
  const [outcome, setOutcome] = useState<TaskOutcome>()
  const inFlight = useRef(false)

  const run = useCallback(async (input: PublishInput): Promise<TaskOutcome | undefined> => {
    if (inFlight.current) return undefined
    inFlight.current = true
    setBusy(true)
    setError(undefined)
    const result = await settle(() => api['tasks.publish'](input))
    inFlight.current = false
    setBusy(false)
    if (!result.ok) {
      setError(result.error)
      return undefined
    }
    setOutcome(result.value)
    return result.value
  }, [])

  return { busy, error, outcome, run, clearError: useCallback(() => setError(undefined), []) }
}
