import { useEffect, useRef } from 'react'
import { EngineProblem, ErrorView, RichText } from '../../lib/error-view'
import { useSettings } from '../../lib/settings'
import { systemStore, useSystem } from '../../lib/system'
import { DockerSteps } from '../system/docker-help'
import { dockerPill, engineSize, showsInstallSteps } from '../system/docker-state'

/**
 * Docker engine status in Settings: which engine answered (where, how big), or what is wrong and how to fix
 * it; and, when the engine is smaller than the sandbox limits, what tasks get instead.
 */
export function DockerSection(): React.JSX.Element {
  const { status, error, checking } = useSystem()
  const host = useSettings().settings?.docker.host
  // A saved engine address is checked at once (the engine reconnects when the setting changes).
  const seenHost = useRef(host)
  useEffect(() => {
    if (seenHost.current === host) return
    seenHost.current = host
    void systemStore().refresh()
  }, [host])
  const docker = status?.docker
  const size = docker && engineSize(docker)
  const pillClass = docker?.reachable ? 'pill ok' : docker?.state === 'waking' ? 'pill muted' : 'pill error'
  return (
    <div className="docker-section">
      <dl className="facts">
        <dt>Engine</dt>
        <dd>
          {!docker ? (
            <span className="pill muted">{checking ? 'Checking…' : 'Unknown'}</span>
          ) : (
            <span className={pillClass}>{dockerPill(docker)}</span>
          )}
          {docker?.engine && (
            <span className="muted">
              {' '}
              {docker.engine.name}
              {docker.engine.rootless ? ' (rootless)' : ''}
            </span>
          )}
        </dd>
        {docker?.version && (
          <>
            <dt>Version</dt>
            <dd>
              {docker.version}
              {docker.apiVersion && <span className="muted"> (API {docker.apiVersion})</span>}
            </dd>
          </>
        )}
        {size && (
          <>
            <dt>Resources</dt>
            <dd>{size}</dd>
          </>
        )}
        {docker?.endpoint && (
          <>
            <dt>Address</dt>
            <dd className="mono">{docker.endpoint.description}</dd>
          </>
        )}
      </dl>
      {docker?.limits && (
        <p className="gate-error-hint" role="note">
          <RichText text={docker.limits.message} />
        </p>
      )}
      {docker?.notes?.map((note) => (
        <p key={note} className="muted small">
          {note}
        </p>
      ))}
      {docker && !docker.reachable && (
        <div className="docker-problem">
          {docker.error && (
            <EngineProblem problem={docker.error} role={docker.state === 'waking' ? 'status' : 'alert'} />
          )}
          {showsInstallSteps(docker) && <DockerSteps platform={status.platform} />}
        </div>
      )}
      {error && <ErrorView error={error} compact />}
      <div className="row">
        <button
          type="button"
          className="button"
          disabled={checking}
          onClick={() => void systemStore().refresh()}
        >
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </div>
    </div>
  )
}
