import type { DiffResult } from '../../shared/diff'

/**
 * Per-turn snapshots in the task's private git dir: a commit of the workspace as it is (staged the way
 * the diff stages it, into the diff's index) under `refs/codex/turns/<turn>/<start|end>`. A turn's own
 * diff is its start → its end.
 */
export interface SnapshotOptions {
  workspace: string
  gitDir: string
  baseline: string
  turn: number
  at: 'start' | 'end'
  signal?: AbortSignal
}

/** Commits the workspace as it is now; returns the commit. */
export async function snapshotWorkspace(opts: SnapshotOptions): Promise<string> {
  void opts
  throw new Error('snapshotWorkspace: not built yet')
}

/** The diff between two commits of the private git dir (contents from the object store, hunks included). */
export async function diffBetween(opts: {
  gitDir: string
  from: string
  to: string
  maxInlineBytes?: number
  signal?: AbortSignal
}): Promise<DiffResult> {
  void opts
  throw new Error('diffBetween: not built yet')
}

/** Stores `content` as a blob of the private git dir (for undo); returns its id. */
export async function writeBlob(gitDir: string, content: Buffer): Promise<string> {
  void gitDir
  void content
  throw new Error('writeBlob: not built yet')
}
