import { useCallback, useEffect, useState } from 'react'
import type { DiffResult } from '../../../../shared/diff'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { settle } from '../../lib/errors'

export type DiffState =
  | { state: 'loading'; diff?: DiffResult }
  | { state: 'error'; error: AppErrorData; diff?: DiffResult }
  | { state: 'ok'; diff: DiffResult }

/**
 * A task's diff against its original files, or one turn's own change (`turn`). Loads again whenever
 * `version` changes (the task came back to review after a follow-up); the previous diff stays visible
 * while the new one loads, unless the view switched between the whole task and a turn.
 */
export function useDiff(id: string, version: string, turn?: number): { diff: DiffState; reload: () => void } {
  const [diff, setDiff] = useState<DiffState>({ state: 'loading' })
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    let live = true
    setDiff((current) => ({
      state: 'loading',
      diff: current.diff?.turn === turn ? current.diff : undefined,
    }))
    const input = turn === undefined ? { id } : { id, turn }
    void settle(() => api['tasks.diff'](input)).then((result) => {
      if (!live) return
      setDiff((current) =>
        result.ok
          ? { state: 'ok', diff: result.value }
          : { state: 'error', error: result.error, diff: current.diff },
      )
    })
    return () => {
      live = false
    }
  }, [id, version, turn, attempt])
  const reload = useCallback(() => setAttempt((n) => n + 1), [])
  return { diff, reload }
}
