import { ErrorView } from '../../lib/error-view'
import { useSystem } from '../../lib/system'
import { imageBuildStore, useImageBuild } from './image-build'

export function ProgressBar({ ratio, label }: { ratio?: number; label: string }): React.JSX.Element {
  const pct = ratio === undefined ? undefined : Math.round(Math.min(1, Math.max(0, ratio)) * 100)
  return (
    <div
      className={pct === undefined ? 'progress indeterminate' : 'progress'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
    >
      <div className="progress-fill" style={pct === undefined ? undefined : { width: `${pct}%` }} />
    </div>
  )
}

/** The agent image in Settings: tag, base, present or not, "Build" with live progress and output. */
export function ImagePanel(): React.JSX.Element {
  const { status } = useSystem()
  const build = useImageBuild()
  const image = status?.image
  const reachable = status?.docker.reachable ?? false
  const building = build.building || Boolean(image?.building)
  const state = building ? 'Building…' : image?.present ? 'Present' : reachable ? 'Not built yet' : 'Unknown'
  const tone = building ? 'info' : image?.present ? 'ok' : 'warn'
  const lastLine = build.lines[build.lines.length - 1]
  return (
    <div className="image-panel">
      <dl className="facts">
        <dt>Status</dt>
        <dd>
          <span className={`pill ${tone}`}>{state}</span>
        </dd>
        <dt>Tag</dt>
        <dd>
          <code>{image?.tag ?? '—'}</code>
        </dd>
        <dt>Base image</dt>
        <dd>
          <code>{image?.baseImage ?? '—'}</code>
        </dd>
      </dl>
      {!image?.present && !building && reachable && (
        <p className="muted">The first task builds it if you don’t; building takes a few minutes, once.</p>
      )}
      {building && (
        <div className="build-progress">
          <ProgressBar ratio={build.ratio} label="Image build progress" />
          {lastLine && <p className="build-line mono">{lastLine}</p>}
        </div>
      )}
      {build.lines.length > 0 && (
        <details className="build-output">
          <summary>
            Build output ({build.lines.length} {build.lines.length === 1 ? 'line' : 'lines'})
          </summary>
          <pre>{build.lines.join('\n')}</pre>
        </details>
      )}
      {build.error && <ErrorView error={build.error} compact />}
      <div className="row">
        <button
          type="button"
          className="button"
          disabled={building || !reachable}
          onClick={() => void imageBuildStore().build()}
        >
          {building ? 'Building…' : image?.present ? 'Rebuild' : 'Build'}
        </button>
        {!reachable && <span className="muted small">Needs a running Docker engine.</span>}
      </div>
    </div>
  )
}
