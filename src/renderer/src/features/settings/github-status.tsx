import { useCallback, useEffect, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { GitHubStatus } from '../../../../shared/system'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'

/** Scopes a classic token needs for what the app does, and what is lost without each. */
const NEEDED_SCOPES: { scope: string; why: string }[] = [
  { scope: 'repo', why: 'private repositories and pull requests' },
  { scope: 'workflow', why: 'changes to .github/workflows' },
]

/**
 * Who the GitHub token signs in as and what it may do (`github.status`), checked when a token is set, and
 * again when the API host it goes to (`endpoint`) changes.
 */
export function GitHubStatusView({
  tokenSet,
  endpoint,
}: {
  tokenSet: boolean
  endpoint?: string
}): React.JSX.Element | null {
  const [status, setStatus] = useState<GitHubStatus>()
  const [error, setError] = useState<AppErrorData>()
  const [checking, setChecking] = useState(false)

  const check = useCallback(async (): Promise<void> => {
    setChecking(true)
    setError(undefined)
    const result = await settle(() => api['github.status']({}))
    setChecking(false)
    if (result.ok) setStatus(result.value)
    else setError(result.error)
  }, [])

  useEffect(() => {
    setStatus(undefined)
    setError(undefined)
    if (tokenSet) void check()
  }, [tokenSet, endpoint, check])

  if (!tokenSet) return null
  const problem = error ?? status?.error
  const missing = status?.scopes ? NEEDED_SCOPES.filter((n) => !status.scopes!.includes(n.scope)) : []
  return (
    <div className="github-status" aria-label="GitHub account" role="group">
      {checking && !status && (
        <span className="muted small" role="status">
          <span className="spinner" aria-hidden="true" /> Checking the token…
        </span>
      )}
      {problem && <ErrorView error={problem} compact onRetry={() => void check()} />}
      {status?.login && !problem && (
        <p className="small">
          Signed in as <strong>@{status.login}</strong>
          {status.scopes ? (
            <span className="muted">
              {' '}
              · scopes: {status.scopes.length ? status.scopes.join(', ') : 'none'}
            </span>
          ) : (
            <span className="muted"> · fine-grained token</span>
          )}
        </p>
      )}
      {!problem && missing.length > 0 && (
        <p className="notice warn small" role="note">
          Missing {missing.map((m) => `“${m.scope}” (${m.why})`).join(' and ')}.
        </p>
      )}
      {(status || problem) && (
        <button type="button" className="button small" disabled={checking} onClick={() => void check()}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
      )}
    </div>
  )
}
