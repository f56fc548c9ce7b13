import './publish-panel.css'

/**
 * PUBLISHING — the next issue's place. Publishing (a branch and pull request, applying to the original
 * folder, exporting a .patch, saving a ZIP) is not built yet: the actions are shown, disabled, and say so.
 * Nothing here pretends to work. When publishing lands, this panel receives the task id, the included files
 * (the review's exclusions) and the agent's summary for the pull request body.
 */
const ACTIONS = [
  { label: 'Open pull request', detail: 'Push ai-changes-… and open a PR on GitHub' },
  { label: 'Apply to folder', detail: 'Write the included changes to the original folder' },
  { label: 'Export .patch', detail: 'Save the included changes as a patch file' },
  { label: 'Save ZIP', detail: 'Save the changed workspace as a ZIP' },
] as const

export function PublishPanel(props: { includedFiles: number; totalFiles: number }): React.JSX.Element {
  const { includedFiles, totalFiles } = props
  return (
    <section className="publish-panel" aria-labelledby="publish-title">
      <div className="publish-head">
        <h2 id="publish-title">Publish</h2>
        <span className="coming-next">coming next</span>
      </div>
      <p className="muted publish-note">
        {includedFiles} of {totalFiles} changed {totalFiles === 1 ? 'file' : 'files'} included. Pull requests,
        apply, patch and ZIP export arrive in the next version.
      </p>
      <div className="publish-actions">
        {ACTIONS.map((a) => (
          <button
            key={a.label}
            type="button"
            className="button publish-action"
            disabled
            title={`${a.detail} — coming next`}
          >
            {a.label}
          </button>
        ))}
      </div>
    </section>
  )
}
