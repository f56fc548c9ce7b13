import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { DiffResult, DiffSummary } from '../../shared/diff'
import type { TaskEventBody } from '../../shared/events'
import type {
  CommentInput,
  DiscardInput,
  DiscardRecord,
  HunkExclusion,
  ReviewComment,
} from '../../shared/review'
import type { TaskRecord } from '../../shared/task'
import { visibleName } from '../../shared/visible-name'
import { AppError } from '../errors'
import { DIFF_INDEX_FILE } from '../git/baseline'
import { computeDiff } from '../git/diff'
import { fileSection, onlySelection, partialPatch } from '../git/partial-patch'
import { repoOptions } from '../git/stage'
import { diffBetween } from '../git/turn-snapshots'
import { readDiffSnapshot, saveDiffSnapshot } from './diff-snapshot'
import {
  changedFile,
  checkLines,
  discardChange,
  hunkOf,
  isChangeOf,
  sortedUnique,
  undoDiscardRecord,
} from './review-discard'
import {
  isEmptyReview,
  MESSAGE_MAX_CHARS,
  QUOTE_MAX_CHARS,
  reviewMessage,
  type ReviewedChange,
} from './review-message'
import type { TaskStore } from './task-store'
import type { WorkspaceGate } from './workspace-gate'

export interface ReviewServiceDeps {
  store: TaskStore
  workspace: WorkspaceGate
  /** Starts a follow-up turn (TaskEngine.followUp). */
  followUp: (id: string, prompt: string) => Promise<TaskRecord>
  emit: (id: string, body: TaskEventBody) => void
}

/** The most comments a task keeps; each quotes at most QUOTE_MAX_CHARS of code (commentQuote). */
export const MAX_COMMENTS = 1000

export const NOTHING_TO_REQUEST = 'Nothing to request: add a comment, leave out a hunk, or write a note.'

/**
 * The engine's review calls: the diff (the whole task's or one turn's), what is left out of what gets
 * published (files, hunks, lines), comments on the code, discards from the workspace and their undo,
 * and "Request changes", a follow-up turn whose message is built from all of it (review-message.ts).
 */
export class ReviewService {
  constructor(private readonly deps: ReviewServiceDeps) {}

  /**
   * The whole task's diff against its baseline, or one turn's own (its start → its end). While a turn
   * runs, the host keeps out of the workspace: the whole diff is then the last completed turn's
   * (`snapshot` says so).
   */
  async diff(id: string, turn?: number): Promise<DiffResult> {
    if (turn !== undefined) return this.turnDiff(id, turn)
    const baseline = this.baselineOf(id)
    const live = await this.deps.workspace.whileIdle(id, () => computeDiff(this.place(id, baseline)))
    if (live) return live
    const snapshot = await readDiffSnapshot(this.deps.store, id)
    if (snapshot) return snapshot
    throw new AppError('conflict', 'The agent is still on its first turn: its changes appear when it ends.', {
      hint: 'Wait for the task to reach review.',
    })
  }

  private async turnDiff(id: string, turn: number): Promise<DiffResult> {
    const task = this.deps.store.get(id)
    const snapshot = task.turnSnapshots?.find((s) => s.turn === turn)
    if (!snapshot) {
      const known = (task.turnSnapshots ?? []).map((s) => s.turn)
      throw new AppError('not_found', `This task has no recorded turn ${turn}.`, {
        hint: known.length ? `Its recorded turns: ${known.join(', ')}.` : 'No turn of it has ended yet.',
        details: { turn },
      })
    }
    const diff = await diffBetween({
      gitDir: this.deps.store.paths(id).gitDir,
      from: snapshot.start,
      to: snapshot.end,
    })
    return { ...diff, turn }
  }

  /**
   * Records what is left out of what gets published: whole files, and (when `hunks` is given, replacing
   * the saved ones) hunks or lines of the others, each checked against the current diff.
   */
  async setExcluded(id: string, paths: string[], hunks?: HunkExclusion[]): Promise<TaskRecord> {
    const patch: Partial<TaskRecord> = { excludedPaths: [...new Set(paths)].sort() }
    if (hunks) {
      const diff = await this.currentDiff(id, [...new Set(hunks.map((h) => h.path))])
      patch.excludedHunks = checkedExclusions(hunks, diff)
    }
    return this.deps.store.update(id, patch)
  }

  /** Adds, edits, deletes or (re)opens a comment; a new one quotes the code of its lines. */
  async comment(input: CommentInput): Promise<TaskRecord> {
    const task = this.deps.store.get(input.id)
    const comments = task.comments ?? []
    const now = new Date().toISOString()
    if (input.action === 'add') {
      if (comments.length >= MAX_COMMENTS) {
        throw new AppError('invalid_input', `This task has ${MAX_COMMENTS} comments, the most it keeps.`, {
          hint: 'Delete the comments already addressed, or request changes with those first.',
        })
      }
      const code = quotedCode(await this.currentDiff(input.id), input)
      const comment: ReviewComment = {
        id: randomUUID(),
        path: input.path,
        side: input.side,
        startLine: input.startLine,
        endLine: input.endLine,
        code,
        text: input.text.trim(),
        createdAt: now,
        updatedAt: now,
        state: 'open',
      }
      return this.deps.store.update(input.id, { comments: [...comments, comment] })
    }
    const found = comments.find((c) => c.id === input.commentId)
    if (!found) throw new AppError('not_found', 'There is no such comment on this task.')
    const changed: ReviewComment | null =
      input.action === 'delete'
        ? null
        : input.action === 'edit'
          ? { ...found, text: input.text.trim(), updatedAt: now }
          : { ...found, state: input.state, updatedAt: now }
    const next = comments.flatMap((c) => (c.id !== found.id ? [c] : changed ? [changed] : []))
    return this.deps.store.update(input.id, { comments: next })
  }

  /** Reverts a file, a hunk or lines of one in the workspace (task in review, no turn running). */
  async discard(input: DiscardInput): Promise<TaskRecord> {
    const baseline = this.reviewBaseline(input.id, 'Discarding')
    const place = this.place(input.id, baseline)
    return this.deps.workspace.idleOrConflict(input.id, 'Discarding', async () => {
      const { record, diff } = await discardChange(place, input)
      const discards = [...(this.deps.store.get(input.id).discards ?? []), record]
      return this.settle(input.id, diff, discards)
    })
  }

  /** Puts the newest discard back exactly as it was; possible until the next turn starts. */
  async undoDiscard(id: string): Promise<TaskRecord> {
    const baseline = this.reviewBaseline(id, 'Undoing a discard')
    return this.deps.workspace.idleOrConflict(id, 'Undoing a discard', async () => {
      const discards = this.deps.store.get(id).discards ?? []
      const last = discards.at(-1)
      if (!last) {
        throw new AppError('conflict', 'There is no discard to undo.', {
          hint: 'A discard can be undone only until the next turn starts.',
        })
      }
      const diff = await undoDiscardRecord(this.place(id, baseline), last)
      return this.settle(id, diff, discards.slice(0, -1))
    })
  }

  /**
   * "Request changes": a follow-up turn whose message is the review (the note, the open comments with
   * their code, the left-out and discarded changes with their reasons and patches). The comments sent
   * are marked so; the message goes to the timeline and agent.log too.
   */
  async requestChanges(id: string, note?: string): Promise<TaskRecord> {
    const baseline = this.reviewBaseline(id, 'Requesting changes')
    const task = this.deps.store.get(id)
    const comments = (task.comments ?? []).filter((c) => c.state === 'open')
    const excluded = await this.deps.workspace.idleOrConflict(id, 'Requesting changes', () =>
      this.excludedChanges(id, baseline, task.excludedHunks ?? []),
    )
    const input = {
      note,
      comments,
      excluded,
      excludedFiles: task.excludedPaths ?? [],
      discarded: (task.discards ?? []).map(discardedChange),
    }
    if (isEmptyReview(input)) {
      throw new AppError('invalid_input', NOTHING_TO_REQUEST, {
        hint: 'Comment on a line, leave out a hunk with a reason, or write what to change.',
      })
    }
    const message = reviewMessage(input)
    const before = task.comments ?? []
    const sentAt = new Date().toISOString()
    const sent = new Set(comments.map((c) => c.id))
    await this.deps.store.update(id, {
      comments: before.map((c) => (sent.has(c.id) ? { ...c, sentAt } : c)),
    })
    let next: TaskRecord
    try {
      next = await this.deps.followUp(id, message)
    } catch (err) {
      await this.deps.store.update(id, { comments: before })
      throw err
    }
    this.deps.emit(id, { type: 'log', stream: 'system', text: `Changes requested:\n${message}` })
    return next
  }

  /** Each left-out hunk (or lines) with its patch text; those no longer in the diff are skipped. */
  private async excludedChanges(
    id: string,
    baseline: string,
    exclusions: readonly HunkExclusion[],
  ): Promise<ReviewedChange[]> {
    if (exclusions.length === 0) return []
    const place = this.place(id, baseline)
    const diff = await computeDiff(place)
    const git = repoOptions({ ...place, indexFile: join(place.gitDir, DIFF_INDEX_FILE), force: false })
    const out: ReviewedChange[] = []
    // One section per file, however many of its hunks are left out.
    const sections = new Map<string, Promise<Buffer | null>>()
    const sectionOf = (path: string): Promise<Buffer | null> => {
      const known = sections.get(path) ?? fileSection(git, baseline, path)
      sections.set(path, known)
      return known
    }
    let chars = 0
    for (const exclusion of exclusions) {
      // Past the message's limit the rest are only counted ("N more changes not shown"): no patch built.
      if (chars > MESSAGE_MAX_CHARS) {
        out.push({ path: exclusion.path, reason: exclusion.reason, patch: '' })
        continue
      }
      const hunk = diff.fileDiffs
        .find((f) => (f.newPath ?? f.oldPath) === exclusion.path)
        ?.hunks?.find((h) => h.key === exclusion.key)
      // A record's lines outside the hunk (the schema lets none through) are left out, never read.
      const lines = exclusion.lines?.filter((i) => hunk && isChangeOf(hunk, i))
      const section = hunk && lines?.length !== 0 ? await sectionOf(exclusion.path) : null
      if (!hunk || !section) continue
      const patch = partialPatch(section, onlySelection(section, exclusion.key, lines))
      out.push({
        path: exclusion.path,
        header: hunk.header,
        ...(lines ? { lines: lines.flatMap((i) => hunk.changes[i] ?? []) } : {}),
        reason: exclusion.reason,
        patch: patch.toString('utf8'),
      })
      chars += patch.length + (exclusion.reason?.length ?? 0)
    }
    return out
  }

  /** After a discard or its undo: the diff kept, the record updated, the review told. */
  private async settle(id: string, diff: DiffResult, discards: DiscardRecord[]): Promise<TaskRecord> {
    const summary: DiffSummary = await saveDiffSnapshot(this.deps.store, id, diff)
    const next = await this.deps.store.update(id, { diff: summary, discards })
    this.deps.emit(id, { type: 'diff', diff: summary })
    return next
  }

  /**
   * The diff the review shows: the one kept with the task, else computed now. A kept diff saved before
   * hunks existed lacks them: when one of `needsHunks` is such a file, a live diff (no turn running)
   * replaces it, and is kept.
   */
  private async currentDiff(id: string, needsHunks: readonly string[] = []): Promise<DiffResult> {
    const kept = await readDiffSnapshot(this.deps.store, id)
    if (!kept) return this.diff(id)
    if (!needsHunks.some((path) => lacksHunks(kept, path))) return kept
    const place = this.place(id, this.baselineOf(id))
    const live = await this.deps.workspace.whileIdle(id, () => computeDiff(place))
    if (!live) return kept
    await saveDiffSnapshot(this.deps.store, id, live)
    return live
  }

  private baselineOf(id: string): string {
    const baseline = this.deps.store.get(id).baselineCommit
    if (!baseline) throw new AppError('conflict', 'This task has no changes to show yet.')
    return baseline
  }

  /** The baseline of a task in review; `what` cannot be done in another state. */
  private reviewBaseline(id: string, what: string): string {
    const task = this.deps.store.get(id)
    if (task.status !== 'review' || !task.baselineCommit) {
      throw new AppError('conflict', `${what} needs a task in review; this one is ${task.status}.`, {
        hint: 'Wait for the turn to end.',
      })
    }
    return task.baselineCommit
  }

  private place(id: string, baseline: string): { workspace: string; gitDir: string; baseline: string } {
    const paths = this.deps.store.paths(id)
    return { workspace: paths.workspace, gitDir: paths.gitDir, baseline }
  }
}

/** The exclusions checked against `diff` (each names a hunk of a changed file), merged per hunk. */
export function checkedExclusions(list: readonly HunkExclusion[], diff: DiffResult): HunkExclusion[] {
  const merged = new Map<string, HunkExclusion>()
  for (const exclusion of list) {
    const hunk = hunkOf(changedFile(diff, exclusion.path), exclusion.path, exclusion.key)
    checkLines(hunk, exclusion.path, exclusion.lines)
    const id = `${exclusion.path}\0${exclusion.key}`
    const prior = merged.get(id)
    const whole = !exclusion.lines || (prior !== undefined && !prior.lines)
    const lines = whole ? undefined : sortedUnique([...(prior?.lines ?? []), ...(exclusion.lines ?? [])])
    const reason = exclusion.reason?.trim() || prior?.reason
    const all = lines !== undefined && lines.length === hunk.changes.length
    merged.set(id, {
      path: exclusion.path,
      key: exclusion.key,
      ...(lines && !all ? { lines } : {}),
      ...(reason ? { reason } : {}),
    })
  }
  return [...merged.values()]
}

/** A text file of `diff` without hunks: a diff kept before they existed. */
function lacksHunks(diff: DiffResult, path: string): boolean {
  const file = diff.fileDiffs.find((f) => (f.newPath ?? f.oldPath) === path)
  return file !== undefined && !file.hunks && !file.binary && !file.contentOmitted
}

/** The code of a new comment's lines, from the diff's content of that side. */
function quotedCode(
  diff: DiffResult,
  input: { path: string; side: 'old' | 'new'; startLine: number; endLine: number },
): string {
  const file = changedFile(diff, input.path)
  const name = visibleName(input.path)
  const content = input.side === 'old' ? file.oldContent : file.newContent
  if (content === null) {
    const why = file.binary
      ? 'it is a binary file'
      : file.contentOmitted
        ? 'it is too large to show'
        : `it has no ${input.side === 'old' ? 'original' : 'changed'} side`
    throw new AppError('invalid_input', `Lines of "${name}" cannot be commented on: ${why}.`, {
      details: { path: input.path, side: input.side },
    })
  }
  const { startLine: start, endLine: end } = input
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) {
    throw new AppError('invalid_input', `${start}–${end} are not lines of "${name}".`, {
      details: { path: input.path, startLine: start, endLine: end },
    })
  }
  const lines = splitLines(content)
  if (input.endLine > lines.length) {
    throw new AppError(
      'invalid_input',
      `"${name}" has ${lines.length} lines on that side; line ${input.endLine} is past its end.`,
      { details: { path: input.path, side: input.side, lines: lines.length } },
    )
  }
  return commentQuote(lines.slice(input.startLine - 1, input.endLine))
}

/** The code a comment keeps of its lines: at most QUOTE_MAX_CHARS characters (a turn's end compares the same). */
export function commentQuote(lines: readonly string[]): string {
  return lines.join('\n').slice(0, QUOTE_MAX_CHARS)
}

/** A text's lines without their line ends (a last line end adds no line). */
export function splitLines(content: string): string[] {
  if (content === '') return []
  const lines = content.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  if (content.endsWith('\n')) lines.pop()
  return lines
}

/** A discard as the message shows it: its hunk header is the first one of its patch. */
function discardedChange(record: DiscardRecord): ReviewedChange {
  const header = record.hunk !== undefined ? /^@@[^\n]*/m.exec(record.patch)?.[0] : undefined
  return {
    path: record.path,
    ...(header !== undefined ? { header } : {}),
    ...(record.lines ? { lines: [] } : {}),
    reason: record.reason,
    patch: record.patch,
  }
}
