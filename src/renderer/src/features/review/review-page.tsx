import { lazy, useCallback, useMemo, useState } from 'react'
import type { DiffResult, FileDiff } from '../../../../shared/diff'
import type { TaskRecord } from '../../../../shared/task'
import { ErrorView } from '../../lib/error-view'
import { modLabel } from '../../lib/keyboard'
import { navigate, useRoute } from '../../lib/route'
import { taskListStore, useTask } from '../../lib/tasks'
import { PublishPanel } from '../publish/publish-panel'
import { OutcomeList } from '../task/outcome-list'
import type { DiffEditorComponent } from './diff-editor'
import { DiffPane } from './diff-pane'
import { FileTree } from './file-tree'
import { buildTree, fileKey, filesInOrder, visibleRows } from './file-tree-model'
import { FollowUp } from './follow-up'
import { RequestChanges } from './request-changes'
import { ReviewHeader } from './review-header'
import { useReviewKeys } from './review-keys'
import { fileState, includeFiles, type IncludeState, type SelectionIndex } from './selection-model'
import { SkippedNote } from './skipped-note'
import { useComments } from './use-comments'
import { useDiff } from './use-diff'
import { useDiscards } from './use-discards'
import { useDroppedHunks } from './use-dropped-hunks'
import { useFileReview } from './use-file-review'
import { useSelection } from './use-selection'
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

/** Why the diff is not the workspace as it is now, or undefined when it is. */
function staleNotice(task: TaskRecord, result: DiffResult | undefined): string | undefined {
  if (task.status === 'review') return undefined
  if (task.status === 'failed' || task.status === 'cancelled' || task.status === 'interrupted')
    return 'This task did not finish; the diff shows what its workspace holds now.'
  if (result?.snapshot)
    return `The agent is working: this is the diff of its last completed turn (as of ${new Date(
      result.snapshot.at,
    ).toLocaleTimeString()}); the workspace is not read while the agent runs. It refreshes when the task is back in review.`
  return 'A turn is running: the diff refreshes when the task is back in review.'
}

const hunksSentence = (n: number): string =>
  `${n === 1 ? '1 left-out hunk no longer exists' : `${n} left-out hunks no longer exist`} after the last turn.`

/** The review's keys, in the tree then in the editor (while reading). */
function KeyHelp({ canUndo }: { canUndo: boolean }): React.JSX.Element {
  return (
    <div className="kbd-help muted">
      <div>
        Files: <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>Space</kbd> include
        {canUndo && (
          <>
            {' '}
            · <kbd>{modLabel('Z')}</kbd> undo discard
          </>
        )}
      </div>
      <div>
        Editor: <kbd>Space</kbd> hunk · <kbd>x</kbd> line · <kbd>c</kbd> comment · <kbd>n</kbd>/<kbd>p</kbd>{' '}
        hunks · <kbd>e</kbd> edit
      </div>
    </div>
  )
}

/** Monaco loads with the first diff shown, not with the app. */
const MonacoDiff = lazy(() => import('./monaco-diff'))

/** Each file's include state, by key. */
function useStates(
  order: FileDiff[],
  paths: ReadonlySet<string>,
  index: SelectionIndex,
): ReadonlyMap<string, IncludeState> {
  return useMemo(() => {
    const states = new Map<string, IncludeState>()
    for (const f of order) states.set(fileKey(f), fileState(f, paths, index))
    return states
  }, [order, paths, index])
}

/**
 * The review: changed files as a tree with (tri-state) include boxes, the selected file in Monaco's diff
 * editor with its hunks, lines and comments, "Request changes" and a follow-up box, publishing. Shows the
 * whole task's change, or one turn's own (read-only) when the route names a turn. `Editor` is swappable.
 */
export function ReviewPage({
  id,
  Editor = MonacoDiff,
}: {
  id: string
  Editor?: DiffEditorComponent
}): React.JSX.Element {
  const task = useTask(id)
  const route = useRoute()
  const turn = route.page === 'review' && route.id === id ? route.turn : undefined
  const inReview = task?.status === 'review'
  const version = `${inReview}:${task?.turns ?? 0}:${task?.finishedAt ?? ''}`
  const { diff, reload } = useDiff(id, version, turn)
  const selection = useSelection(task)
  const comments = useComments(id)
  const discards = useDiscards(id, reload)
  const dropped = useDroppedHunks(task)
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set())
  const [chosen, setChosen] = useState<string | undefined>()
  const [sideBySide, setSideBySide] = useState(true)
  const canChange = inReview && turn === undefined

  const result = diff.diff
  const tree = useMemo(() => buildTree(result?.fileDiffs ?? []), [result])
  const rows = useMemo(() => visibleRows(tree, collapsed), [tree, collapsed])
  const order = useMemo(() => filesInOrder(tree), [tree])
  const states = useStates(order, selection.paths, selection.index)
  const selectedFile =
    order.find((f) => fileKey(f) === chosen) ?? order.find((f) => !f.binary && !f.contentOmitted) ?? order[0]
  const selected = selectedFile && fileKey(selectedFile)
  const review = useFileReview({
    file: selectedFile,
    selection,
    comments: task?.comments,
    comment: comments.run,
    discard: discards.discard,
    canChange,
  })

  const { change } = selection
  const include = useCallback(
    (keys: string[], on: boolean) => {
      if (turn === undefined) change((s) => includeFiles(s, keys, on))
    },
    [change, turn],
  )
  const canUndo = canChange && !discards.busy && Boolean(task?.discards?.length)
  const visibleFiles = rows.flatMap((r) => (r.node.kind === 'file' ? [r.node.path] : []))
  useReviewKeys({
    move: (delta) => {
      if (!visibleFiles.length) return
      const at = selected ? visibleFiles.indexOf(selected) : -1
      const next = at === -1 ? 0 : Math.min(visibleFiles.length - 1, Math.max(0, at + delta))
      setChosen(visibleFiles[next])
    },
    toggle: () => {
      if (selected) include([selected], states.get(selected) !== 'all')
    },
    undo: () => {
      if (!canUndo) return false
      void discards.undo()
      return true
    },
  })

  if (!task)
    return (
      <section className="review-page page-empty" aria-label="Review">
        {taskListStore().loaded ? `No task with the id ${id}.` : 'Loading…'}
      </section>
    )

  const total = result?.files ?? 0
  const counts = { none: 0, some: 0 }
  for (const state of states.values()) if (state !== 'all') counts[state]++
  const includedFiles = order.map(fileKey).filter((key) => states.get(key) !== 'none')
  const stale = staleNotice(task, result)
  const errors = [selection.error, discards.error]
  const clearErrors = [selection.clearError, discards.clearError]
  const toggleFolder = (path: string): void =>
    setCollapsed((c) => {
      const next = new Set(c)
      if (!next.delete(path)) next.add(path)
      return next
    })

  return (
    <section className="review-page" aria-label="Review">
      <ReviewHeader
        task={task}
        result={result}
        excluded={turn === undefined ? counts.none : 0}
        partly={turn === undefined ? counts.some : 0}
        turn={turn}
        onTurn={(t) => navigate(t === undefined ? { page: 'review', id } : { page: 'review', id, turn: t })}
        canUndo={canUndo}
        onUndo={() => void discards.undo()}
      />
      {task.summary && <Summary text={task.summary} />}
      <OutcomeList task={task} compact />
      {stale && (
        <div className="notice">
          {stale}{' '}
          <button type="button" className="link" onClick={() => navigate({ page: 'task', id })}>
            Watch it
          </button>
        </div>
      )}
      {turn !== undefined && (
        <div className="notice" role="note">
          Turn {turn}’s own changes, read-only. Selecting, discarding, editing and publishing work on the
          whole task’s changes.
        </div>
      )}
      {dropped.dropped > 0 && (
        <div className="notice warn" role="note">
          {hunksSentence(dropped.dropped)}{' '}
          <button type="button" className="link" onClick={dropped.dismiss}>
            Dismiss
          </button>
        </div>
      )}
      {diff.state === 'error' && <ErrorView error={diff.error} onRetry={reload} />}
      {errors.map(
        (error, i) => error && <ErrorView key={i} error={error} compact onDismiss={clearErrors[i]} />,
      )}
      <div className="review-body">
        <aside className="review-files">
          <div className="pane-title">
            Changed files
            {diff.state === 'loading' && <span className="spinner" aria-label="Loading" />}
          </div>
          <SkippedNote skipped={result?.skipped} />
          {result && total === 0 && (
            <div className="tree-empty muted">
              <strong>No changes.</strong> The agent changed nothing in this turn.
            </div>
          )}
          <FileTree
            rows={rows}
            collapsed={collapsed}
            selected={selected}
            states={states}
            readOnly={turn !== undefined}
            onSelect={setChosen}
            onToggleFolder={toggleFolder}
            onInclude={include}
          />
          <KeyHelp canUndo={canUndo} />
          <RequestChanges task={task} />
          <FollowUp id={id} disabled={!inReview} />
          {turn === undefined && <PublishPanel task={task} files={includedFiles} totalFiles={total} />}
        </aside>
        <main className="review-diff">
          <DiffPane
            taskId={id}
            file={selectedFile}
            sideBySide={sideBySide}
            onSideBySide={setSideBySide}
            Editor={Editor}
            editable={canChange}
            onSaved={reload}
            review={review}
            selectable={turn === undefined}
          />
        </main>
      </div>
    </section>
  )
}
