import { useEffect, useState } from 'react'
import type { TaskRecord } from '../../../../shared/task'

interface Seen {
  turns: number
  hunks: ReadonlySet<string>
}

/** What this window last saw of each task's left-out hunks (kept across pages: the turn runs elsewhere). */
const lastSeen = new Map<string, Seen>()

const hunkIds = (task: TaskRecord): ReadonlySet<string> =>
  new Set((task.excludedHunks ?? []).map((h) => `${h.path}\n${h.key}`))

/**
 * How many left-out hunks the engine dropped after the last turn (they no longer exist in the new
 * diff): those this window saw before the turn and the record no longer has. 0 when none (or dismissed).
 */
export function useDroppedHunks(task: TaskRecord | undefined): { dropped: number; dismiss: () => void } {
  const [dropped, setDropped] = useState(0)
  useEffect(() => {
    // Between turns only: the engine recomputes the selection when a turn ends.
    if (task?.status !== 'review') return
    const now: Seen = { turns: task.turns, hunks: hunkIds(task) }
    const before = lastSeen.get(task.id)
    lastSeen.set(task.id, now)
    if (!before || now.turns <= before.turns) return
    const gone = [...before.hunks].filter((h) => !now.hunks.has(h)).length
    setDropped(gone)
  }, [task])
  return { dropped, dismiss: () => setDropped(0) }
}
