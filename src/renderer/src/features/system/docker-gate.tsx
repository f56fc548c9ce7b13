import { useEffect, useState } from 'react'
import { EngineProblem, ErrorView } from '../../lib/error-view'
import { BoxIcon } from '../../lib/icons'
import { systemStore, useSystem } from '../../lib/system'
import { DockerSteps } from './docker-help'
import { dockerTitle, showsInstallSteps } from './docker-state'

interface Props {
  children: React.ReactNode
  /** How often to check again while Docker is unreachable. */
  intervalMs?: number
}

/**
 * Shows the app once the Docker engine answers; until then a full-window screen that says what to
 * install or start, with "Check again" and an automatic re-check. "Continue anyway" lets a user read
 * past tasks and fix Settings without Docker. Once the app was shown, Docker going away later does not
 * hide it again: the sidebar's indicator and the banner say so (their tasks stay in view).
 */
export function DockerGate({ children, intervalMs = 5_000 }: Props): React.JSX.Element {
  const { status, error, checking, checkedAt } = useSystem()
  const [bypassed, setBypassed] = useState(false)
  const [mountedAt] = useState(() => Date.now())
  // Let in by a check of this screen's own (not by what an earlier one left in the store).
  const [shown, setShown] = useState(false)
  const blocked = !status?.docker.reachable
  if (!blocked && !shown && (checkedAt ?? 0) >= mountedAt) setShown(true)

  useEffect(() => {
    void systemStore().refresh()
    const onFocus = (): void => void systemStore().refresh()
    window.addEventListener('focus', onFocus)
    return () => window.removeEventListener('focus', onFocus)
  }, [])

  useEffect(() => {
    if (!blocked) return
    const timer = setInterval(() => void systemStore().refresh(), intervalMs)
    return () => clearInterval(timer)
  }, [blocked, intervalMs])

  if (!blocked || bypassed || shown) return <>{children}</>
  if (!status && !error) {
    return (
      <div className="splash" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" />
        Checking Docker…
      </div>
    )
  }

  const dockerError = status?.docker.error
  const waking = status?.docker.state === 'waking'
  return (
    <div className="gate" role="main">
      <div className="gate-card">
        <div className="gate-icon" aria-hidden="true">
          <BoxIcon size={24} />
        </div>
        {status ? (
          <>
            <h1>{dockerTitle(status.docker)}</h1>
            <p className="lead">
              codex-sys runs the agent inside a Docker container on this machine, so it needs a running Docker
              engine.
            </p>
            {dockerError && (
              <EngineProblem problem={dockerError} role={waking ? 'status' : 'alert'} waking={waking} />
            )}
            {status.docker.endpoint && (
              <p className="muted small">Looking for it at {status.docker.endpoint.description}.</p>
            )}
            {showsInstallSteps(status.docker) && <DockerSteps platform={status.platform} />}
          </>
        ) : (
          <>
            <h1>Can’t reach codex-sys</h1>
            {error && <ErrorView error={error} />}
          </>
        )}
        <div className="gate-actions">
          <button
            type="button"
            className="button primary"
            onClick={() => void systemStore().refresh()}
            disabled={checking}
          >
            {checking ? 'Checking…' : 'Check again'}
          </button>
          <button type="button" className="button ghost" onClick={() => setBypassed(true)}>
            Continue without Docker
          </button>
        </div>
        <p className="muted small" aria-live="polite">
          Checking again automatically every {Math.round(intervalMs / 1000)} s.
        </p>
      </div>
    </div>
  )
}
