import { z } from 'zod'

/**
 * The review's finer grain: hunks and lines of a file's change, what the user leaves out of them, what
 * they discard from the workspace, and their comments on the code. Shared by the engine (which builds
 * every way out from it) and the UI.
 */

/** One changed line of a hunk: a deletion (its line in the old file) or an addition (in the new file). */
export interface HunkLine {
  kind: 'del' | 'add'
  /** 1-based: in the old file for a deletion, in the new file for an addition. */
  line: number
}

/** A hunk of a text file's change, as git's patch has it. */
export interface DiffHunk {
  /**
   * Names the hunk while its own lines (context, deletions, additions) stay the same, wherever it moves
   * in the file: a hash of them, with `#n` for the n-th identical one. A selection refers to hunks by it.
   */
  key: string
  /** `@@ -10,3 +10,4 @@ …` as git printed it. */
  header: string
  oldStart: number
  oldLines: number
  newStart: number
  newLines: number
  /** Its changed lines in patch order; a line selection indexes into this list. */
  changes: HunkLine[]
}

/** A task's id, as every call names it. */
export const taskId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'Not a task id')
const path = z.string().min(1).max(4096)
const hunkKey = z.string().regex(/^[0-9a-f]{40}(#\d{1,6})?$/, 'Not a hunk key')
const reason = z.string().trim().max(4000)
/** Indices into a hunk's `changes`, at least one. */
const lineIndices = z.array(z.number().int().min(0).max(1_000_000)).min(1).max(100_000)

/** A hunk (or some of its lines) left out of what gets published; the file's other changes stay in. */
export const hunkExclusionSchema = z
  .object({
    /** The file: its new path (its old one when deleted), as `fileKey` names it. */
    path,
    key: hunkKey,
    /** Indices into the hunk's `changes` left out; absent: the whole hunk. */
    lines: lineIndices.optional(),
    /** Why ("don't touch the public API"): told to the agent by "Request changes". */
    reason: reason.optional(),
  })
  .strict()
export type HunkExclusion = z.infer<typeof hunkExclusionSchema>

/** A comment on lines of one side of a file's change. */
export interface ReviewComment {
  id: string
  /** The file, as `fileKey` names it. */
  path: string
  /** 'old': the original file's lines; 'new': the changed file's. */
  side: 'old' | 'new'
  /** 1-based, inclusive. */
  startLine: number
  endLine: number
  /** The code on those lines when the comment was made (what the agent is shown). */
  code: string
  text: string
  createdAt: string
  updatedAt: string
  /** 'addressed': a turn after it was sent changed its code ("addressed?" in the UI); else 'open'. */
  state: 'open' | 'addressed'
  /** When "Request changes" sent it to the agent. */
  sentAt?: string
}

const commentText = z.string().trim().min(1, 'Write the comment').max(20_000)
const commentId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'Not a comment id')

export const commentInputSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('add'),
      id: taskId,
      path,
      side: z.enum(['old', 'new']),
      startLine: z.number().int().min(1).max(10_000_000),
      endLine: z.number().int().min(1).max(10_000_000),
      text: commentText,
    })
    .strict()
    .refine((c) => c.endLine >= c.startLine, { message: 'The comment ends before it starts' }),
  z.object({ action: z.literal('edit'), id: taskId, commentId, text: commentText }).strict(),
  z.object({ action: z.literal('delete'), id: taskId, commentId }).strict(),
  /** Marks a comment open again, or addressed, by hand. */
  z
    .object({ action: z.literal('state'), id: taskId, commentId, state: z.enum(['open', 'addressed']) })
    .strict(),
])
export type CommentInput = z.input<typeof commentInputSchema>

/** What a discard put back, so it can be undone until the next turn starts. */
export interface DiscardUndo {
  path: string
  /** The workspace's entry before the discard: its blob in the task's private git dir, null when absent. */
  blob: string | null
  mode: string | null
}

/** A change the user removed from the workspace (a file, a hunk or lines of one), since the last turn. */
export interface DiscardRecord {
  id: string
  at: string
  path: string
  /** The hunk (absent: the whole file) and, within it, the lines (absent: the whole hunk). */
  hunk?: string
  lines?: number[]
  reason?: string
  /** The discarded change in git's patch format, as the agent is shown it. */
  patch: string
  undo: DiscardUndo[]
}

export const discardInputSchema = z
  .object({
    id: taskId,
    path,
    hunk: hunkKey.optional(),
    lines: lineIndices.optional(),
    reason: reason.optional(),
  })
  .strict()
  .refine((d) => d.hunk !== undefined || d.lines === undefined, {
    message: 'Lines are chosen within a hunk: give the hunk too',
  })
export type DiscardInput = z.infer<typeof discardInputSchema>

/** The state of the private git dir at a turn's start and end: a turn's own diff is start → end. */
export interface TurnSnapshot {
  /** 1 for the first turn. */
  turn: number
  /** Commits in the task's private git dir (the first turn starts at the baseline). */
  start: string
  end: string
  files: number
  additions: number
  deletions: number
}

/** What a diff may be asked for: the whole task (baseline → now), or one turn's own change. */
export const diffInputSchema = z
  .object({ id: taskId, turn: z.number().int().min(1).max(100_000).optional() })
  .strict()

export const requestChangesInputSchema = z
  .object({ id: taskId, note: z.string().trim().max(100_000).optional() })
  .strict()
