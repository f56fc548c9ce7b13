import { useEffect, useRef, useState } from 'react'
import {
  WORKSPACE_MODES,
  type EngineConfig,
  type EngineStatus,
  type WorkspaceMode,
} from '../../../../shared/engines'
import { EngineProblem } from '../../lib/error-view'
import { SelectField } from '../../lib/select-field'
import { displayAddress } from './engine-draft'

const WORKSPACE_LABELS: Record<WorkspaceMode, string> = {
  auto: 'Automatic — copy on Docker Desktop',
  mount: 'Mount the folder',
  copy: 'Copy into the engine',
}

const isWorkspaceMode = (value: string): value is WorkspaceMode =>
  (WORKSPACE_MODES as readonly string[]).includes(value)

/** Whether the engine answers (its Docker version), does not, or has not been asked yet. */
function HealthPill({ status }: { status?: EngineStatus }): React.JSX.Element {
  if (!status) return <span className="pill muted">Checking…</span>
  if (!status.reachable) return <span className="pill error">Not answering</span>
  return <span className="pill ok">{status.version ? `Docker ${status.version}` : 'Answering'}</span>
}

const load = (status: EngineStatus): string => `${status.active.length} of ${status.limit} running`

interface Props {
  engine: EngineConfig
  status?: EngineStatus
  /** The local engine's workspace mode (Settings → docker.workspace). */
  workspace: WorkspaceMode
  busy: boolean
  onWorkspace: (mode: WorkspaceMode) => void
  onEdit: () => void
  onRemove: () => void
}

const WORKSPACE_OPTIONS = WORKSPACE_MODES.map((mode) => ({ value: mode, label: WORKSPACE_LABELS[mode] }))

/** The local engine's Workspace select: how its tasks get their files. */
function WorkspaceSelect(p: Pick<Props, 'workspace' | 'busy' | 'onWorkspace'>): React.JSX.Element {
  return (
    <SelectField
      id="engine-local-workspace"
      className="stack setting-field"
      label="Workspace"
      value={p.workspace}
      options={WORKSPACE_OPTIONS}
      disabled={p.busy}
      onChange={(mode) => isWorkspaceMode(mode) && p.onWorkspace(mode)}
      help="How this computer’s tasks get their files: a bind mount, or a copy shipped into the engine and back (faster where mounts cross a VM). Remote engines always copy."
    />
  )
}

/** Remove, asked once more: queued tasks pinned to the engine fail, running ones finish. */
function RemoveButton({ name, busy, onRemove }: { name: string; busy: boolean; onRemove: () => void }) {
  const [asking, setAsking] = useState(false)
  // The button just pressed is gone: the keyboard lands on the safe answer.
  const keep = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    if (asking) keep.current?.focus()
  }, [asking])
  if (!asking) {
    return (
      <button
        type="button"
        className="button small ghost"
        aria-label={`Remove ${name}`}
        onClick={() => setAsking(true)}
      >
        Remove
      </button>
    )
  }
  return (
    <span className="row engine-remove-ask" role="group" aria-label={`Remove ${name}?`}>
      <span className="small">Remove? Queued tasks pinned to it fail; running ones finish.</span>
      <button type="button" className="button small danger" disabled={busy} onClick={onRemove}>
        Remove engine
      </button>
      <button type="button" className="button small ghost" ref={keep} onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  )
}

/** One engine: name, address, health, load; the local one's workspace mode, a remote one's Edit / Remove. */
export function EngineRow(p: Props): React.JSX.Element {
  const { engine, status } = p
  const address = engine.host ? displayAddress(engine.host) : undefined
  return (
    <li className="engine-row" aria-label={engine.name}>
      <div className="engine-row-head">
        <strong className="engine-name">{engine.name}</strong>
        <HealthPill status={status} />
        {status?.reachable && status.platform && (
          <span className="pill muted mono" title="What its containers run on">
            {status.platform}
          </span>
        )}
        {!engine.enabled && <span className="pill muted">Off</span>}
        {status && <span className="muted small engine-load">{load(status)}</span>}
        {engine.remote && (
          <span className="row engine-actions">
            <button
              type="button"
              className="button small"
              aria-label={`Edit ${engine.name}`}
              onClick={p.onEdit}
            >
              Edit
            </button>
            <RemoveButton name={engine.name} busy={p.busy} onRemove={p.onRemove} />
          </span>
        )}
      </div>
      {address ? (
        <span className="mono small engine-address">{address}</span>
      ) : (
        <span className="muted small">Found like the docker CLI finds it (Settings → Docker)</span>
      )}
      {status && !status.reachable && status.error && <EngineProblem problem={status.error} role="note" />}
      {!engine.remote && (
        <WorkspaceSelect workspace={p.workspace} busy={p.busy} onWorkspace={p.onWorkspace} />
      )}
    </li>
  )
}
