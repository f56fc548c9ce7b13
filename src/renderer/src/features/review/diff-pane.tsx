import { Suspense } from 'react'
import type { FileDiff } from '../../../../shared/diff'
import type { DiffEditorComponent } from './diff-editor'
import { languageOf, STATUS_LETTERS, fileKey } from './file-tree-model'
import { useDark } from './use-dark'

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

/** The selected file's change: a header, then Monaco's diff editor (or why it isn't shown). */
export function DiffPane(props: {
  taskId: string
  file: FileDiff | undefined
  sideBySide: boolean
  onSideBySide: (value: boolean) => void
  Editor: DiffEditorComponent
}): React.JSX.Element {
  const { taskId, file, sideBySide, onSideBySide, Editor } = props
  const dark = useDark()
  if (!file) return <div className="diff-pane diff-empty muted">Select a file to see its change.</div>
  const key = fileKey(file)
  const hidden = notShown(file)
  return (
    <div className="diff-pane">
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
        <div className="segmented" role="group" aria-label="Diff layout">
          <button type="button" aria-pressed={sideBySide} onClick={() => onSideBySide(true)}>
            Side by side
          </button>
          <button type="button" aria-pressed={!sideBySide} onClick={() => onSideBySide(false)}>
            Inline
          </button>
        </div>
      </div>
      <div className="diff-body">
        {hidden ?? (
          <Suspense fallback={<div className="diff-loading muted">Loading the editor…</div>}>
            <Editor
              original={file.oldContent ?? ''}
              modified={file.newContent ?? ''}
              language={languageOf(key)}
              modelKey={`${taskId}/${key}`}
              sideBySide={sideBySide}
              dark={dark}
            />
          </Suspense>
        )}
      </div>
    </div>
  )
}
