import type { AppErrorData } from '../../../shared/errors'
import { describeError } from './errors'
import { navigate } from './route'
import { systemStore } from './system'

/** Text from the engine with `inline code` shown as code (hints name commands that way). */
export function RichText({ text }: { text: string }): React.JSX.Element {
  const parts = text.split(/`([^`]+)`/)
  return <>{parts.map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}</>
}

/**
 * Why a Docker engine does not answer, as the engine's client said it, with its hint: the Docker gate,
 * Settings → Docker and each row of Settings → Engines. `waking`: the engine is starting (a spinner).
 */
export function EngineProblem(p: {
  problem: { message: string; hint?: string }
  role: 'alert' | 'status' | 'note'
  waking?: boolean
}): React.JSX.Element {
  return (
    <div className={p.waking ? 'gate-error waking' : 'gate-error'} role={p.role}>
      {p.waking && <span className="spinner" aria-hidden="true" />}
      <p className="gate-error-message">{p.problem.message}</p>
      {p.problem.hint && (
        <p className="gate-error-hint">
          <RichText text={p.problem.hint} />
        </p>
      )}
    </div>
  )
}

interface Props {
  error: AppErrorData
  /** Called by "Try again" (errors whose next step is a retry); without it that button is left out. */
  onRetry?: () => void
  onDismiss?: () => void
  /** A one-line variant for tight places (a form footer, a list). */
  compact?: boolean
}

/** Any error from the engine: what failed, why, and a button for the next step (Settings, Docker, …). */
export function ErrorView({ error, onRetry, onDismiss, compact }: Props): React.JSX.Element {
  const d = describeError(error)
  const act = (): void => {
    switch (d.action?.kind) {
      case 'settings':
        navigate({ page: 'settings' })
        break
      case 'docker':
        void systemStore().refresh()
        break
      case 'new-task':
        navigate({ page: 'new' })
        break
      case 'retry':
        onRetry?.()
        break
    }
  }
  const showAction = d.action && (d.action.kind !== 'retry' || onRetry)
  return (
    <div className={compact ? 'error-view compact' : 'error-view'} role="alert" data-kind={error.kind}>
      <div className="error-view-text">
        <strong className="error-view-title">{d.title}</strong>
        <span className="error-view-message">
          <RichText text={d.message} />
        </span>
        {d.hint && (
          <span className="error-view-hint">
            <RichText text={d.hint} />
          </span>
        )}
      </div>
      {(showAction || onDismiss) && (
        <div className="error-view-actions">
          {showAction && (
            <button type="button" className="button" onClick={act}>
              {d.action!.label}
            </button>
          )}
          {onDismiss && (
            <button type="button" className="button ghost" onClick={onDismiss} aria-label="Dismiss">
              Dismiss
            </button>
          )}
        </div>
      )}
    </div>
  )
}
