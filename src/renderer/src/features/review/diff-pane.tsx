import { Suspense, useEffect, useRef } from 'react'
import type { FileDiff } from '../../../../shared/diff'
import { ErrorView } from '../../lib/error-view'
import { isMod, modLabel } from '../../lib/keyboard'
import type { DiffEditorComponent } from './diff-editor'
import { languageOf, STATUS_LETTERS, fileKey } from './file-tree-model'
import { useDark } from './use-dark'
import { useFileEdits } from './use-file-edits'

const STATUS_WORDS = {
  added: 'Added',
  modified: 'Modified',
  deleted: 'Deleted',
  renamed: 'Renamed',
  type_changed: 'Type changed',
} as const

function Notice({ title, children }: { title: string; children?: React.ReactNode }): React.JSX.Element {
  return (
    <div className="diff-notice">
      <div className="diff-notice-title">{title}</div>
      {children && <div className="muted">{children}</div>}
    </div>
  )
}

/** Why a file is not shown in the editor, or undefined when it can be. */
function notShown(f: FileDiff): React.JSX.Element | undefined {
  if (f.binary)
    return (
      <Notice title="Binary file — not shown">Its change is kept in diff.patch as a binary patch.</Notice>
    )
  if (f.contentOmitted)
    return (
      <Notice title="File too large to show">
        {f.additions.toLocaleString()} lines added, {f.deletions.toLocaleString()} removed. Open diff.patch on
        the task page to read the change.
      </Notice>
    )
  if (f.oldMode === '120000' || f.newMode === '120000')
    return (
      <Notice title="Symbolic link">{`${f.oldContent ?? '(none)'} → ${f.newContent ?? '(none)'}`}</Notice>
    )
  if (f.oldContent === f.newContent && f.oldMode !== f.newMode)
    return <Notice title="Mode change only">{`${f.oldMode ?? '—'} → ${f.newMode ?? '—'}`}</Notice>
  return undefined
}

const noop = (): void => {}

/**
 * The selected file's change: a header, then Monaco's diff editor (or why it isn't shown). When `editable`,
 * the right-hand side of a text file can be edited and saved into the workspace (Save, Ctrl/Cmd+S); leaving
 * a file with unsaved edits saves them.
 */
export function DiffPane(props: {
  taskId: string
  file: FileDiff | undefined
  sideBySide: boolean
  onSideBySide: (value: boolean) => void
  Editor: DiffEditorComponent
  editable?: boolean
  /** A file was saved: reload the diff. */
  onSaved?: () => void
}): React.JSX.Element {
  const { taskId, file, sideBySide, onSideBySide, Editor, editable = false, onSaved } = props
  const dark = useDark()
  const edits = useFileEdits(taskId, onSaved ?? noop)
  const key = file ? fileKey(file) : undefined
  const previous = useRef(key)
  const { save } = edits
  useEffect(() => {
    const left = previous.current
    previous.current = key
    if (left !== undefined && left !== key) void save(left)
  }, [key, save])

  if (!file || key === undefined)
    return <div className="diff-pane diff-empty muted">Select a file to see its change.</div>
  const hidden = notShown(file)
  const base = file.newContent ?? ''
  const canEdit = editable && !hidden && file.status !== 'deleted'
  const dirty = edits.isDirty(key, base)
  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (canEdit && e.key.toLowerCase() === 's' && isMod(e)) {
      e.preventDefault()
      void save(key)
    }
  }
  return (
    <div className="diff-pane" onKeyDown={onKeyDown}>
      <div className="diff-head">
        <span className={`tree-letter letter-${file.status}`}>{STATUS_LETTERS[file.status]}</span>
        <span className="diff-path" title={key}>
          {file.status === 'renamed' && <span className="muted">{file.oldPath} → </span>}
          {key}
        </span>
        <span className="muted">{STATUS_WORDS[file.status]}</span>
        {!file.binary && (
          <span className="tree-stats">
            <span className="add">+{file.additions}</span> <span className="del">−{file.deletions}</span>
          </span>
        )}
        {dirty && (
          <span className="pill warn" title="Unsaved changes">
            ● Unsaved
          </span>
        )}
        {canEdit && (
          <button
            type="button"
            className="button small"
            disabled={!dirty || edits.saving}
            title={`Save into the workspace (${modLabel('S')})`}
            onClick={() => void save(key)}
          >
            {edits.saving ? 'Saving…' : 'Save'}
          </button>
        )}
        <div className="segmented" role="group" aria-label="Diff layout">
          <button type="button" aria-pressed={sideBySide} onClick={() => onSideBySide(true)}>
            Side by side
          </button>
          <button type="button" aria-pressed={!sideBySide} onClick={() => onSideBySide(false)}>
            Inline
          </button>
        </div>
      </div>
      {edits.error && <ErrorView error={edits.error} compact onDismiss={edits.clearError} />}
      <div className="diff-body">
        {hidden ?? (
          <Suspense fallback={<div className="diff-loading muted">Loading the editor…</div>}>
            <Editor
              original={file.oldContent ?? ''}
              modified={edits.contentOf(key, base) ?? base}
              language={languageOf(key)}
              modelKey={`${taskId}/${key}`}
              sideBySide={sideBySide}
              dark={dark}
              editable={canEdit}
              onChange={(content) => edits.edit(key, base, content)}
              onSave={() => void save(key)}
            />
          </Suspense>
        )}
      </div>
    </div>
  )
}
