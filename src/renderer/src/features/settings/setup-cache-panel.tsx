import { useCallback, useEffect, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { SetupCacheUsage } from '../../../../shared/settings'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { formatBytes } from '../../lib/format'

type State =
  | { kind: 'idle' }
  | { kind: 'clearing' }
  | { kind: 'cleared'; entries: number }
  | { kind: 'failed'; error: AppErrorData }

const setups = (n: number): string => (n === 1 ? '1 saved setup' : `${n} saved setups`)

/** What the cache holds now: "2 saved setups, 1.4 GB", asked when shown and after each clear. */
function useUsage(): [SetupCacheUsage | undefined, () => Promise<void>] {
  const [usage, setUsage] = useState<SetupCacheUsage>()
  const refresh = useCallback(async () => {
    const result = await settle(() => api['system.setupCache']({}))
    if (result.ok) setUsage(result.value)
  }, [])
  useEffect(() => void refresh(), [refresh])
  return [usage, refresh]
}

/** Settings → Setup cache: what it holds, and "Clear setup cache" with what it removed. */
export function SetupCachePanel(): React.JSX.Element {
  const [state, setState] = useState<State>({ kind: 'idle' })
  const [usage, refreshUsage] = useUsage()
  const clear = async (): Promise<void> => {
    setState({ kind: 'clearing' })
    const result = await settle(() => api['system.clearSetupCache']({}))
    setState(
      result.ok
        ? { kind: 'cleared', entries: result.value.entries }
        : { kind: 'failed', error: result.error },
    )
    await refreshUsage()
  }
  return (
    <div className="stack">
      {usage && (
        <p className="muted small" aria-label="Setup cache usage">
          {usage.entries ? `${setups(usage.entries)}, ${formatBytes(usage.bytes)}` : 'Empty'}
        </p>
      )}
      <div className="row">
        <button
          type="button"
          className="button"
          disabled={state.kind === 'clearing'}
          onClick={() => void clear()}
        >
          {state.kind === 'clearing' ? 'Clearing…' : 'Clear setup cache'}
        </button>
        {state.kind === 'cleared' && (
          <span className="muted small" role="status">
            Removed {setups(state.entries)}.
          </span>
        )}
      </div>
      {state.kind === 'failed' && <ErrorView error={state.error} compact />}
    </div>
  )
}
