import { useCallback, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { thrownToError } from '../../lib/errors'

/** A review action the engine refused: rejects with the engine's error, for the view beside the action. */
export class ActionFailed extends Error {
  constructor(readonly error: AppErrorData) {
    super(error.message)
    this.name = 'ActionFailed'
  }
}

/** The engine's error behind a rejection (or a transport failure described as one). */
export const errorOf = (err: unknown): AppErrorData =>
  err instanceof ActionFailed ? err.error : thrownToError(err)

/**
 * Runs the review's actions from one place (the hunk bar, the comments): a failure is kept to show there
 * (an ErrorView), never left as an unhandled rejection. `run` resolves true when the action succeeded.
 */
export function useActionError(): {
  error: AppErrorData | null
  run: (action: () => Promise<void>) => Promise<boolean>
  clear: () => void
} {
  const [error, setError] = useState<AppErrorData | null>(null)
  const run = useCallback(async (action: () => Promise<void>): Promise<boolean> => {
    try {
      await action()
      setError(null)
      return true
    } catch (err) {
      setError(errorOf(err))
      return false
    }
  }, [])
  const clear = useCallback(() => setError(null), [])
  return { error, run, clear }
}
