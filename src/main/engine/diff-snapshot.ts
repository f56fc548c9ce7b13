import type { DiffResult, DiffSummary } from '../../shared/diff'
import type { TaskStore } from './task-store'

/**
 * The diff of a task's last completed turn (or last saved edit), kept beside its artifacts: what the
 * review shows while a turn runs, since the host never reads a workspace a live container can change.
 */
interface StoredSnapshot {
  at: string
  diff: DiffResult
}

/** Keeps `diff` as the task's latest snapshot; returns its summary for the task record. */
export async function saveDiffSnapshot(store: TaskStore, id: string, diff: DiffResult): Promise<DiffSummary> {
  const { snapshot: _ignored, ...plain } = diff
  const stored: StoredSnapshot = { at: new Date().toISOString(), diff: plain }
  await store.writeArtifact(id, 'diff.json', JSON.stringify(stored))
  return { files: diff.files, additions: diff.additions, deletions: diff.deletions }
}

/** The latest snapshot, marked as such; undefined before the first turn has finished. */
export async function readDiffSnapshot(store: TaskStore, id: string): Promise<DiffResult | undefined> {
  const text = await store.readArtifact(id, 'diff.json')
  if (!text) return undefined
  try {
    const stored = JSON.parse(text) as StoredSnapshot
    return { ...stored.diff, snapshot: { reason: 'turn_running', at: stored.at } }
  } catch {
    return undefined
  }
}
