import { useState } from 'react'
import type { TaskRecord } from '../../../../shared/task'
import { ErrorView } from '../../lib/error-view'
import { conflictPaths, defaultBranch } from './publish-defaults'
import { BranchField } from './branch-field'
import { usePublish } from './use-publish'

type Mode = 'files' | 'branch'

/**
 * "Apply to folder": write the included changes into the original folder, or commit them on a new branch of
 * the folder's git repository. A refusal (files changed since the task started) lists those files.
 */
export function ApplyForm(props: {
  task: TaskRecord
  folder: string
  branchPrefix: string
  disabled: boolean
}): React.JSX.Element {
  const { task, folder, branchPrefix, disabled } = props
  const [mode, setMode] = useState<Mode>('files')
  const [branch, setBranch] = useState(() => defaultBranch(branchPrefix))
  const p = usePublish()
  const canSubmit = !disabled && !p.busy && (mode === 'files' || branch.trim().length > 0)
  const conflicts = p.error ? conflictPaths(p.error) : []

  if (p.outcome?.kind === 'applied') {
    const o = p.outcome
    return (
      <div className="publish-done" role="status">
        <strong>Applied</strong> {o.files.length} {o.files.length === 1 ? 'file' : 'files'} to{' '}
        <span className="mono">{o.folder}</span>
        {o.mode === 'branch' && o.branch && (
          <div className="muted small">
            Committed on branch <code>{o.branch}</code>
            {o.commit && <> ({o.commit.slice(0, 12)})</>}
          </div>
        )}
        {o.warnings?.map((w) => (
          <div key={w} className="muted small warning">
            {w}
          </div>
        ))}
      </div>
    )
  }

  return (
    <form
      className="publish-form"
      aria-label="Apply to folder"
      onSubmit={(e) => {
        e.preventDefault()
        if (!canSubmit) return
        void p.run(
          mode === 'files'
            ? { kind: 'apply', id: task.id, mode }
            : { kind: 'apply', id: task.id, mode, branch: branch.trim() },
        )
      }}
    >
      <p className="muted small ellipsis" title={folder}>
        Into <span className="mono">{folder}</span>
      </p>
      <div className="publish-modes" role="radiogroup" aria-label="How to apply">
        <label className="check">
          <input
            type="radio"
            name="apply-mode"
            checked={mode === 'files'}
            onChange={() => setMode('files')}
          />
          <span>Write the files</span>
        </label>
        <label className="check">
          <input
            type="radio"
            name="apply-mode"
            checked={mode === 'branch'}
            onChange={() => setMode('branch')}
          />
          <span>
            Commit on a new branch
            <span className="help">
              The folder must be a git repository; your current branch stays as it is.
            </span>
          </span>
        </label>
      </div>
      {mode === 'branch' && <BranchField value={branch} onChange={setBranch} />}
      {p.error && <ErrorView error={p.error} compact onDismiss={p.clearError} />}
      {conflicts.length > 0 && (
        <div className="publish-conflicts">
          <span className="small">Changed in the folder since the task started (nothing was written):</span>
          <ul aria-label="Conflicting files">
            {conflicts.map((path) => (
              <li key={path} className="mono small">
                {path}
              </li>
            ))}
          </ul>
        </div>
      )}
      <button type="submit" className="button primary" disabled={!canSubmit}>
        {p.busy ? 'Applying…' : 'Apply to folder'}
      </button>
    </form>
  )
}
