import type { DiffResult, FileDiff } from '../../shared/diff'
import type { HunkExclusion, ReviewComment, TurnSnapshot } from '../../shared/review'
import type { TaskRecord } from '../../shared/task'
import { visibleName } from '../../shared/visible-name'
import { toErrorData } from '../errors'
import { snapshotTurnEnd, snapshotWorkspace, type TurnCounts } from '../git/turn-snapshots'
import { isChangeOf } from './review-discard'
import { commentQuote, splitLines } from './review-service'
import type { TurnDeps } from './turn-deps'

/**
 * The review's bookkeeping around a turn. At its start: the workspace as it is then (a commit of the
 * private git dir; the first turn starts at the baseline itself) and the discards cleared (they can no
 * longer be undone). At its end: the workspace as it is then, the turn's own diff counted, the left-out
 * hunks recomputed against the new diff (those gone are dropped, and the timeline says so), and the sent
 * comments whose code the turn changed marked addressed.
 */
/** What of a turn's deps the bookkeeping uses. */
export type TurnReviewDeps = Pick<TurnDeps, 'store' | 'emit' | 'signal' | 'exclusive'>

export interface TurnStart {
  turn: number
  /** The commit the turn's own diff starts from. */
  start: string
}

/** Call before the turn's first container starts; a follow-up's snapshot runs under `deps.exclusive`. */
export async function startTurnReview(
  deps: TurnReviewDeps,
  taskId: string,
  followUp: boolean,
): Promise<TurnStart> {
  const task = deps.store.get(taskId)
  const baseline = task.baselineCommit
  if (!baseline) throw new Error('startTurnReview: the task has no baseline')
  const turn = Math.max(task.turns, task.turnSnapshots?.at(-1)?.turn ?? 0) + 1
  if (!followUp) return { turn, start: baseline }
  const paths = deps.store.paths(taskId)
  const start = await deps.exclusive(async () => {
    const commit = await snapshotWorkspace({
      workspace: paths.workspace,
      gitDir: paths.gitDir,
      baseline,
      turn,
      at: 'start',
      signal: deps.signal,
    })
    if (deps.store.get(taskId).discards?.length) await deps.store.update(taskId, { discards: [] })
    return commit
  })
  return { turn, start }
}

/** What the turn's end saves on the record, and whether the turn's own diff is empty. */
export interface TurnEnd {
  patch: Partial<TaskRecord>
  /** The status message of the turn's end ("No changes in this turn"), if one. */
  message?: string
}

export const NO_CHANGES_MESSAGE = 'No changes in this turn'

/**
 * At the turn's end, with `diff` the whole task's new diff (just computed, with the workspace held, so
 * the diff index is fresh: the end snapshot commits that index without staging again): the record's
 * review fields to save with the turn's end. A failure here is said, never fatal to the turn.
 */
export async function endTurnReview(
  deps: TurnReviewDeps,
  taskId: string,
  turnStart: TurnStart,
  diff: DiffResult,
): Promise<TurnEnd> {
  const say = (text: string): void => deps.emit({ type: 'log', stream: 'system', text: `${text}\n` })
  const task = deps.store.get(taskId)
  try {
    const { end, own } = await recordTurnEnd(deps, taskId, turnStart, diff)
    const snapshot: TurnSnapshot = {
      turn: turnStart.turn,
      start: turnStart.start,
      end,
      files: own.files,
      additions: own.additions,
      deletions: own.deletions,
    }
    const others = (task.turnSnapshots ?? []).filter((s) => s.turn !== snapshot.turn)
    const { kept, dropped } = reconcileExclusions(task.excludedHunks ?? [], diff)
    if (dropped.length > 0) say(droppedMessage(dropped))
    const patch: Partial<TaskRecord> = {
      turnSnapshots: [...others, snapshot],
      excludedHunks: kept,
      comments: markAddressed(task.comments ?? [], diff, new Set(own.paths)),
    }
    return own.files === 0 ? { patch, message: NO_CHANGES_MESSAGE } : { patch }
  } catch (err) {
    say(`The turn's own diff could not be recorded: ${toErrorData(err).message}`)
    return { patch: {} }
  }
}

/**
 * The turn's end snapshot (the diff index `diff` was just computed from, committed as it is) and the
 * turn's own counts and touched paths. A turn that started at the baseline (the first) has the whole
 * diff as its own; else they are counted from the same index since the turn's start.
 */
async function recordTurnEnd(
  deps: TurnReviewDeps,
  taskId: string,
  turnStart: TurnStart,
  diff: DiffResult,
): Promise<{ end: string; own: TurnCounts }> {
  const baseline = deps.store.get(taskId).baselineCommit ?? ''
  const { workspace, gitDir } = deps.store.paths(taskId)
  const opts = { workspace, gitDir, baseline, turn: turnStart.turn, signal: deps.signal }
  if (turnStart.start !== baseline) {
    const { end, counts } = await snapshotTurnEnd({ ...opts, since: turnStart.start })
    return { end, own: counts }
  }
  const end = await snapshotWorkspace({ ...opts, at: 'end', staged: true })
  const paths = diff.fileDiffs.flatMap((f) => [f.oldPath, f.newPath].filter((p): p is string => p !== null))
  return { end, own: { files: diff.files, additions: diff.additions, deletions: diff.deletions, paths } }
}

/** The exclusions whose file and hunk (and lines) are still in `diff`, and those that are not. */
export function reconcileExclusions(
  list: readonly HunkExclusion[],
  diff: DiffResult,
): { kept: HunkExclusion[]; dropped: HunkExclusion[] } {
  const kept: HunkExclusion[] = []
  const dropped: HunkExclusion[] = []
  for (const exclusion of list) {
    const hunk = fileOf(diff, exclusion.path)?.hunks?.find((h) => h.key === exclusion.key)
    const lines = exclusion.lines?.filter((i) => hunk && isChangeOf(hunk, i))
    if (!hunk || (lines && lines.length === 0)) dropped.push(exclusion)
    else kept.push(lines ? { ...exclusion, lines } : exclusion)
  }
  return { kept, dropped }
}

/** "2 left-out hunks no longer exist after this turn and were dropped: src/a.ts, src/b.ts" */
export function droppedMessage(dropped: readonly HunkExclusion[]): string {
  const files = [...new Set(dropped.map((d) => visibleName(d.path)))].join(', ')
  return dropped.length === 1
    ? `1 left-out hunk no longer exists after this turn and was dropped: ${files}`
    : `${dropped.length} left-out hunks no longer exist after this turn and were dropped: ${files}`
}

/**
 * Sent comments still open are marked addressed when the turn changed their code: on the new side, when
 * their lines now read otherwise (or are gone); on the old side (or when the new content is not at
 * hand), when the turn's own diff touched the file.
 */
export function markAddressed(
  comments: readonly ReviewComment[],
  diff: DiffResult,
  touched: ReadonlySet<string>,
): ReviewComment[] {
  const now = new Date().toISOString()
  return comments.map((comment) => {
    if (!comment.sentAt || comment.state !== 'open') return comment
    const content = comment.side === 'new' ? fileOf(diff, comment.path)?.newContent : undefined
    const changed =
      content === undefined || content === null
        ? touched.has(comment.path)
        : commentQuote(splitLines(content).slice(comment.startLine - 1, comment.endLine)) !== comment.code ||
          splitLines(content).length < comment.endLine
    return changed ? { ...comment, state: 'addressed' as const, updatedAt: now } : comment
  })
}

const fileOf = (diff: DiffResult, path: string): FileDiff | undefined =>
  diff.fileDiffs.find((f) => (f.newPath ?? f.oldPath) === path)
