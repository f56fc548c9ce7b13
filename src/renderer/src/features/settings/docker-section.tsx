import { ErrorView, RichText } from '../../lib/error-view'
import { systemStore, useSystem } from '../../lib/system'
import { DockerSteps } from '../system/docker-help'

/** Docker engine status in Settings: reachable and its version, or what is wrong and how to fix it. */
export function DockerSection(): React.JSX.Element {
  const { status, error, checking } = useSystem()
  const docker = status?.docker
  return (
    <div className="docker-section">
      <dl className="facts">
        <dt>Engine</dt>
        <dd>
          {!docker ? (
            <span className="pill muted">{checking ? 'Checking…' : 'Unknown'}</span>
          ) : docker.reachable ? (
            <span className="pill ok">Running</span>
          ) : (
            <span className="pill error">Not reachable</span>
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
      </dl>
      {docker && !docker.reachable && (
        <div className="docker-problem">
          {docker.error && (
            <div className="gate-error" role="alert">
              <p className="gate-error-message">{docker.error.message}</p>
              {docker.error.hint && (
                <p className="gate-error-hint">
                  <RichText text={docker.error.hint} />
                </p>
              )}
            </div>
          )}
          <DockerSteps platform={status.platform} />
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
