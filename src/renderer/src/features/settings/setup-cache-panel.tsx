import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'

type State =
  | { kind: 'idle' }
  | { kind: 'clearing' }
  | { kind: 'cleared'; entries: number }
  | { kind: 'failed'; error: AppErrorData }

/** Settings → Setup cache: what it is, and "Clear setup cache" with what it removed. */
export function SetupCachePanel(): React.JSX.Element {
  const [state, setState] = useState<State>({ kind: 'idle' })
  const clear = async (): Promise<void> => {
    setState({ kind: 'clearing' })
    const result = await settle(() => api['system.clearSetupCache']({}))
    setState(
      result.ok
        ? { kind: 'cleared', entries: result.value.entries }
        : { kind: 'failed', error: result.error },
    )
  }
  return (
    <div className="stack">
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
            {state.entries === 1 ? 'Removed 1 saved setup.' : `Removed ${state.entries} saved setups.`}
          </span>
        )}
      </div>
      {state.kind === 'failed' && <ErrorView error={state.error} compact />}
    </div>
  )
}
