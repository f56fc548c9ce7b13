import { useState } from 'react'
import type { TaskRecord } from '../../../../shared/task'
import { ErrorView } from '../../lib/error-view'
import { ExternalLink } from './external-link'
import { defaultBody, defaultBranch, offersFork } from './publish-defaults'
import { BranchField } from './branch-field'
import { usePublish } from './use-publish'

interface Props {
  task: TaskRecord
  /** The included files (exclusions left out), for the body. */
  files: string[]
  branchPrefix: string
  disabled: boolean
  desktop?: boolean
}

/**
 * "Open pull request": branch, title and body prefilled (the body follows the included files until the user
 * edits it), a draft option; on success the PR's link; when the user can't push, the fork offer.
 */
export function PullRequestForm({ task, files, branchPrefix, disabled, desktop }: Props): React.JSX.Element {
  const [branch, setBranch] = useState(() => defaultBranch(branchPrefix))
  const [title, setTitle] = useState(task.title)
  const [editedBody, setEditedBody] = useState<string>()
  const [draft, setDraft] = useState(false)
  const p = usePublish()
  const body = editedBody ?? defaultBody(task, files)
  const canSubmit = !disabled && !p.busy && title.trim().length > 0 && branch.trim().length > 0

  const submit = (fork: boolean): void => {
    if (!canSubmit) return
    void p.run({
      kind: 'pull_request',
      id: task.id,
      branch: branch.trim(),
      title: title.trim(),
      body,
      draft,
      fork,
    })
  }

  if (p.outcome?.kind === 'pull_request') {
    const o = p.outcome
    return (
      <div className="publish-done" role="status">
        <strong>Opened</strong> {o.draft ? 'draft ' : ''}pull request{' '}
        <ExternalLink href={o.url} desktop={desktop}>
          {o.repo}#{o.number}
        </ExternalLink>
        <span className="muted small">
          {' '}
          from {o.forked ? 'your fork’s ' : ''}branch <code>{o.branch}</code>
        </span>
        <div className="publish-url mono small">{o.url}</div>
      </div>
    )
  }

  return (
    <form
      className="publish-form"
      aria-label="Open pull request"
      onSubmit={(e) => {
        e.preventDefault()
        submit(false)
      }}
    >
      <BranchField value={branch} onChange={setBranch} />
      <label className="stack">
        <span className="sublabel">Title</span>
        <input className="input" value={title} onChange={(e) => setTitle(e.target.value)} />
      </label>
      <label className="stack">
        <span className="sublabel">Description</span>
        <textarea
          className="input publish-body"
          rows={6}
          value={body}
          onChange={(e) => setEditedBody(e.target.value)}
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={draft} onChange={(e) => setDraft(e.target.checked)} />
        <span>Draft</span>
      </label>
      {p.error && <ErrorView error={p.error} compact onDismiss={p.clearError} />}
      {p.error && offersFork(p.error) && (
        <button type="button" className="button" disabled={!canSubmit} onClick={() => submit(true)}>
          Fork and open from my fork
        </button>
      )}
      <button type="submit" className="button primary" disabled={!canSubmit}>
        {p.busy ? 'Pushing and opening…' : 'Open pull request'}
      </button>
    </form>
  )
}
