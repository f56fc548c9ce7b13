import type { TaskRecord } from '../../../../shared/task'
import { useSettings } from '../../lib/settings'
import { ApplyForm } from './apply-form'
import { ExportActions } from './export-actions'
import { isGitHubUrl } from './publish-defaults'
import { PullRequestForm } from './pull-request-form'
import { PushForm } from './push-form'
import './publish-panel.css'

interface Props {
  task: TaskRecord
  /** Workspace paths of the included files (the review's exclusions left out). */
  files: string[]
  totalFiles: number
  /** The desktop app (native save dialog, links through the system browser); defaults to the bridge's. */
  desktop?: boolean
}

/** The source's own way out: a pull request or a pushed branch (Git), apply to the folder (folders). */
function SourceAction(
  props: Props & { disabled: boolean; prefix: string; apiUrl?: string },
): React.ReactNode {
  const { task, files, disabled, prefix, apiUrl, desktop } = props
  const { source } = task
  if (source.kind === 'git')
    return isGitHubUrl(source.url, apiUrl) ? (
      <PullRequestForm
        task={task}
        files={files}
        branchPrefix={prefix}
        disabled={disabled}
        desktop={desktop}
      />
    ) : (
      <PushForm task={task} branchPrefix={prefix} disabled={disabled} />
    )
  if (source.kind === 'folder')
    return <ApplyForm task={task} folder={source.path} branchPrefix={prefix} disabled={disabled} />
  return null
}

/**
 * Publishing, per source: a pull request (GitHub) or a pushed branch (other remotes) for Git sources, apply
 * to the folder for folder sources, and for every source a .patch or a ZIP (ZIP sources: the main action).
 * Only the included files are published.
 */
export function PublishPanel(props: Props): React.JSX.Element {
  const { task, files, totalFiles, desktop } = props
  const { settings, error: settingsError } = useSettings()
  const inReview = task.status === 'review'
  const disabled = !inReview || files.length === 0
  return (
    <section className="publish-panel" aria-labelledby="publish-title">
      <div className="publish-head">
        <h2 id="publish-title">Publish</h2>
      </div>
      <p className="muted publish-note" aria-label="Included files">
        {files.length} of {totalFiles} changed {totalFiles === 1 ? 'file' : 'files'} included
        {files.length < totalFiles ? ' (excluded ones are left out)' : ''}.
      </p>
      {!inReview && <p className="muted publish-note">Publishing is available when the task is in review.</p>}
      {inReview && totalFiles > 0 && files.length === 0 && (
        <p className="muted publish-note">Include at least one file to publish.</p>
      )}
      {!settings && !settingsError ? (
        <p className="muted publish-note">Loading…</p>
      ) : (
        <SourceAction
          key={task.id}
          {...props}
          disabled={disabled}
          prefix={settings?.git.branchPrefix ?? 'ai-changes'}
          apiUrl={settings?.githubApiUrl}
        />
      )}
      <ExportActions
        key={`export-${task.id}`}
        id={task.id}
        disabled={disabled}
        primary={task.source.kind === 'zip' ? 'zip' : undefined}
        desktop={desktop}
      />
    </section>
  )
}
