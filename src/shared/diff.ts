import type { DiffHunk } from './review'

/** A changed file, shaped for a diff editor. Paths are relative to the workspace root, `/`-separated. */
export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'type_changed'

export interface FileDiff {
  oldPath: string | null
  newPath: string | null
  status: FileStatus
  additions: number
  deletions: number
  /** Text before/after; null when absent (added/deleted), binary, or omitted for size. */
  oldContent: string | null
  newContent: string | null
  binary: boolean
  /** True when the content exists but was left out (too large to inline). */
  contentOmitted: boolean
  /** Git file modes, e.g. '100644', '100755', '120000' (symlink); null when absent. */
  oldMode: string | null
  newMode: string | null
  /**
   * Its hunks, when it can be selected finer than whole: a text file added, deleted or modified with its
   * mode unchanged. Absent for binary files, renames, mode changes, symbolic links and omitted contents,
   * which stay whole-file.
   */
  hunks?: DiffHunk[]
}

export interface DiffSummary {
  files: number
  additions: number
  deletions: number
}

/** A workspace entry git could not stage, left out of the diff (its last staged version stays). */
export interface SkippedEntry {
  /** Workspace-relative, `/`-separated. */
  path: string
  /** Reads after the path: "is a FIFO", "is a socket", "is a name git refuses (…)". */
  reason: string
}

export interface DiffResult extends DiffSummary {
  fileDiffs: FileDiff[]
  /** The whole change in git's patch format (binary files as git binary patches). */
  patch: string
  /**
   * Set when this is not the workspace as it is now but the diff of the last completed turn: the host
   * never reads a workspace while the agent's container runs. `at` is when that diff was taken.
   */
  snapshot?: { reason: 'turn_running'; at: string }
  /** Set when this is one turn's own change (its start → its end), not the whole task's. */
  turn?: number
  /** Entries left out because git cannot stage them (a FIFO, a name git refuses…); absent when none. */
  skipped?: SkippedEntry[]
}
