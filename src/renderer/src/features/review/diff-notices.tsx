import type { FileDiff } from '../../../../shared/diff'

function Notice({ title, children }: { title: string; children?: React.ReactNode }): React.JSX.Element {
  return (
    <div className="diff-notice">
      <div className="diff-notice-title">{title}</div>
      {children && <div className="muted">{children}</div>}
    </div>
  )
}

/** Why a file is not shown in the editor, or undefined when it can be. */
export function notShown(f: FileDiff): React.JSX.Element | undefined {
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

export const STATUS_WORDS = {
  added: 'Added',
  modified: 'Modified',
  deleted: 'Deleted',
  renamed: 'Renamed',
  type_changed: 'Type changed',
} as const

/** How the editor shows a file: both sides, or the one side a file added or deleted has. */
export function layoutOf(f: FileDiff): 'diff' | 'added' | 'deleted' {
  if (f.status === 'added') return 'added'
  if (f.status === 'deleted') return 'deleted'
  return 'diff'
}
