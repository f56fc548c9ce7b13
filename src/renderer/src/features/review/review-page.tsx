import { lazy, useMemo, useState } from 'react'
import { ErrorView } from '../../lib/error-view'
import { navigate } from '../../lib/route'
import { taskListStore, useTask } from '../../lib/tasks'
import { PublishPanel } from '../publish/publish-panel'
import { OutcomeList } from '../task/outcome-list'
import { StatusBadge } from '../task-list/status-badge'
import type { DiffEditorComponent } from './diff-editor'
import { DiffPane } from './diff-pane'
import { FileTree } from './file-tree'
import { buildTree, fileKey, filesInOrder, visibleRows } from './file-tree-model'
import { FollowUp } from './follow-up'
import { useReviewKeys } from './review-keys'
import { SkippedNote } from './skipped-note'
import { useDiff } from './use-diff'
import { useExcluded } from './use-excluded'
import './review.css'

function Summary({ text }: { text: string }): React.JSX.Element {
  const [open, setOpen] = useState(false)
  return (
    <button
      type="button"
      className={`review-summary${open ? ' is-open' : ''}`}
      onClick={() => setOpen(!open)}
      aria-expanded={open}
    >
      <span className="review-summary-label">Agent’s summary</span>
      <span className="review-summary-text">{text}</span>
    </button>
  )
}

/** Monaco loads with the first diff shown, not with the app. */
const MonacoDiff = lazy(() => import('./monaco-diff'))

/**
 * The review: changed files as a tree with include boxes, the selected file in Monaco's diff editor, a
 * follow-up box, and the place where publishing will go. `Editor` is swappable (component tests).
 */
export function ReviewPage({
  id,
  Editor = MonacoDiff,
}: {
  id: string
  Editor?: DiffEditorComponent
}): React.JSX.Element {
  const task = useTask(id)
  const inReview = task?.status === 'review'
  const { diff, reload } = useDiff(id, `${inReview}:${task?.turns ?? 0}:${task?.finishedAt ?? ''}`)
  const { excluded, setIncluded, error: excludeError, clearError } = useExcluded(task)
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set())
  const [chosen, setChosen] = useState<string | undefined>()
  const [sideBySide, setSideBySide] = useState(true)

  const result = diff.state === 'ok' ? diff.diff : diff.diff
  const tree = useMemo(() => buildTree(result?.fileDiffs ?? []), [result])
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed])
  const order = useMemo(() => filesInOrder(tree), [tree])
  const selectedFile =
    order.find((f) => fileKey(f) === chosen) ?? order.find((f) => !f.binary && !f.contentOmitted) ?? order[0]
  const selected = selectedFile && fileKey(selectedFile)

  const visibleFiles = rows.flatMap((r) => (r.node.kind === 'file' ? [r.node.path] : []))
  useReviewKeys({
    move: (delta) => {
      if (!visibleFiles.length) return
      const at = selected ? visibleFiles.indexOf(selected) : -1
      const next = at === -1 ? 0 : Math.min(visibleFiles.length - 1, Math.max(0, at + delta))
      setChosen(visibleFiles[next])
    },
    toggle: () => {
      if (selected) setIncluded([selected], excluded.has(selected))
    },
  })

  if (!task)
    return (
      <section className="review-page page-empty" aria-label="Review">
        {taskListStore().loaded ? `No task with the id ${id}.` : 'Loading…'}
      </section>
    )

  const total = result?.files ?? 0
  const excludedCount = order.filter((f) => excluded.has(fileKey(f))).length
  const includedFiles = order.map(fileKey).filter((key) => !excluded.has(key))
  const toggleFolder = (path: string): void =>
    setCollapsed((c) => {
      const next = new Set(c)
      if (!next.delete(path)) next.add(path)
      return next
    })

  return (
    <section className="review-page" aria-label="Review">
      <header className="review-header">
        <button type="button" className="button ghost" onClick={() => navigate({ page: 'task', id })}>
          ← Task
        </button>
        <h1 className="review-title" title={task.prompt}>
          {task.title}
        </h1>
        <StatusBadge status={task.status} />
        {result && (
          <span className="review-totals" aria-label="Totals">
            {total} {total === 1 ? 'file' : 'files'} <span className="add">+{result.additions}</span>{' '}
            <span className="del">−{result.deletions}</span>
            {excludedCount > 0 && <span className="muted"> · {excludedCount} excluded</span>}
          </span>
        )}
      </header>
      {task.summary && <Summary text={task.summary} />}
      <OutcomeList task={task} compact />
      {!inReview && (
        <div className="notice">
          {task.status === 'failed' || task.status === 'cancelled' || task.status === 'interrupted'
            ? 'This task did not finish; the diff shows what its workspace holds now.'
            : result?.snapshot
              ? `The agent is working: this is the diff of its last completed turn (as of ${new Date(
                  result.snapshot.at,
                ).toLocaleTimeString()}); the workspace is not read while the agent runs. It refreshes when the task is back in review.`
              : 'A turn is running: the diff refreshes when the task is back in review.'}{' '}
          <button type="button" className="link" onClick={() => navigate({ page: 'task', id })}>
            Watch it
          </button>
        </div>
      )}
      {diff.state === 'error' && <ErrorView error={diff.error} onRetry={reload} />}
      {excludeError && <ErrorView error={excludeError} compact onDismiss={clearError} />}
      <div className="review-body">
        <aside className="review-files">
          <div className="pane-title">
            Changed files
            {diff.state === 'loading' && <span className="spinner" aria-label="Loading" />}
          </div>
          <SkippedNote skipped={result?.skipped} />
          {result && total === 0 && <div className="tree-empty muted">No changes in the workspace.</div>}
          <FileTree
            rows={rows}
            collapsed={collapsed}
            selected={selected}
            excluded={excluded}
            onSelect={setChosen}
            onToggleFolder={toggleFolder}
            onInclude={setIncluded}
          />
          <div className="kbd-help muted">
            <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Space</kbd> include
          </div>
          <FollowUp id={id} disabled={!inReview} />
          <PublishPanel task={task} files={includedFiles} totalFiles={total} />
        </aside>
        <main className="review-diff">
          <DiffPane
            taskId={id}
            file={selectedFile}
            sideBySide={sideBySide}
            onSideBySide={setSideBySide}
            Editor={Editor}
            editable={inReview}
            onSaved={reload}
          />
        </main>
      </div>
    </section>
  )
}
