import type { SkippedEntry } from '../../../../shared/diff'
import { visibleName } from '../../../../shared/visible-name'

const SHOWN = 5

/** The one-line sentence, e.g. "2 entries were left out: pipe is a FIFO; GIT~1/x is a name git refuses". */
export function skippedSentence(skipped: SkippedEntry[]): string {
  const n = skipped.length
  const head = n === 1 ? '1 entry was left out' : `${n} entries were left out`
  const items = skipped.slice(0, SHOWN).map((s) => `${visibleName(s.path)} ${s.reason}`)
  const more = n > SHOWN ? `; and ${n - SHOWN} more` : ''
  return `${head}: ${items.join('; ')}${more}`
}

/**
 * Entries of the workspace git could not stage (a FIFO or socket where a file was, a name git refuses
 * such as `GIT~1`): they are not part of the change, and publishing leaves them at their original
 * version. Shown above the file tree; nothing when there are none.
 */
export function SkippedNote({ skipped }: { skipped: SkippedEntry[] | undefined }): React.JSX.Element | null {
  if (!skipped?.length) return null
  return (
    <div className="notice warn skipped-note" role="note" aria-label="Entries left out">
      {skippedSentence(skipped)}. They are not part of the change; publishing leaves them as they were.
    </div>
  )
}
