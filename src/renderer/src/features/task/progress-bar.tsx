import type { ProgressLine } from './progress-words'

/**
 * Import / clone / image / container progress, or the agent at work: a determinate bar when a ratio is
 * known, else indeterminate.
 */
export function ProgressBar({ progress }: { progress: ProgressLine }): React.JSX.Element {
  const ratio = progress.ratio === undefined ? undefined : Math.min(1, Math.max(0, progress.ratio))
  return (
    <div className="task-progress">
      <div className="task-progress-label">
        <span className="ellipsis">{progress.message}</span>
        {ratio !== undefined && <span className="muted">{Math.round(ratio * 100)}%</span>}
      </div>
      <div
        className={`progress${ratio === undefined ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-label={progress.message}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={ratio === undefined ? undefined : Math.round(ratio * 100)}
      >
        <div
          className="progress-fill"
          style={ratio === undefined ? undefined : { width: `${ratio * 100}%` }}
        />
      </div>
    </div>
  )
}
