import { useState } from 'react'
import type { TaskRecord } from '../../../../shared/task'
import { ErrorView } from '../../lib/error-view'
import { defaultBranch } from './publish-defaults'
import { BranchField } from './branch-field'
import { usePublish } from './use-publish'

/** A Git remote that is not GitHub: commit the included changes on a new branch and push it there. */
export function PushForm(props: {
  task: TaskRecord
  branchPrefix: string
  disabled: boolean
}): React.JSX.Element {
  const { task, branchPrefix, disabled } = props
  const [branch, setBranch] = useState(() => defaultBranch(branchPrefix))
  const p = usePublish()
  const canSubmit = !disabled && !p.busy && branch.trim().length > 0

  if (p.outcome?.kind === 'pushed') {
    const o = p.outcome
    return (
      <div className="publish-done" role="status">
        <strong>Pushed</strong> branch <code>{o.branch}</code> to <span className="mono">{o.remote}</span>
        <div className="muted small mono">commit {o.commit.slice(0, 12)}</div>
      </div>
    )
  }
  return (
    <form
      className="publish-form"
      aria-label="Push branch"
      onSubmit={(e) => {
        e.preventDefault()
        if (canSubmit) void p.run({ kind: 'push', id: task.id, branch: branch.trim() })
      }}
    >
      <p className="muted small">
        This remote is not on GitHub: the branch is pushed, no pull request opened.
      </p>
      <BranchField value={branch} onChange={setBranch} />
      {p.error && <ErrorView error={p.error} compact onDismiss={p.clearError} />}
      <button type="submit" className="button primary" disabled={!canSubmit}>
        {p.busy ? 'Pushing…' : 'Push branch'}
      </button>
    </form>
  )
}
