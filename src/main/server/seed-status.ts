import { basename } from 'node:path'
import type { AppErrorData } from '../../shared/errors'
import type { ProgressPhase } from '../../shared/events'
import { awaitsFirstClone, type TaskOutcome, type TaskRecord } from '../../shared/task'

/** The original service's TaskStatus values. */
export type SeedStatus = 'pending' | 'cloning' | 'preparing' | 'running' | 'completed' | 'failed'

/** What the server's auto-PR knows of a task submitted with `github_token` (see seed-auto-pr.ts). */
export type AutoPrState =
  | { state: 'none' }
  /** Asked for, the token held in memory: it runs when the task reaches review. */
  | { state: 'waiting' }
  | { state: 'opening' }
  | { state: 'failed'; error: AppErrorData }
  /** Asked for, but the server restarted before it ran: the token was in memory only. */
  | { state: 'lost' }
  /** The token was given for a source that is not a GitHub repository, and dropped. */
  | { state: 'not_github' }

/** The last progress the engine reported for a running task (this server process only). */
export interface SeedProgress {
  phase?: ProgressPhase
  message: string
}

/** The task's newest pull request, if one was opened (automatically or from the review). */
export function pullRequestOf(task: TaskRecord): Extract<TaskOutcome, { kind: 'pull_request' }> | undefined {
  const prs = (task.outcomes ?? []).filter(
    (o): o is Extract<TaskOutcome, { kind: 'pull_request' }> => o.kind === 'pull_request',
  )
  return prs.at(-1)
}

export const describeError = (error: AppErrorData): string =>
  error.hint ? `${error.message} ${error.hint}` : error.message

const AUTO_PR_LOST: AppErrorData = {
  kind: 'interrupted',
  message:
    'The pull request was not opened: the server restarted before the task reached review, and the ' +
    'github_token given with it was kept in memory only.',
  hint: 'Open the pull request from the review in the app, or submit the task again with github_token.',
}

/** The error an auto-PR ended with, as the seed status reports it (failed); undefined when none. */
export function autoPrError(auto: AutoPrState): AppErrorData | undefined {
  if (auto.state === 'failed') return auto.error
  if (auto.state === 'lost') return AUTO_PR_LOST
  return undefined
}

function seedWord(task: TaskRecord, auto: AutoPrState, progress?: SeedProgress): SeedStatus {
  switch (task.status) {
    case 'queued':
      return 'pending'
    case 'preparing':
      // A git source is cloned first, before its baseline is recorded.
      return progress?.phase === 'clone' || awaitsFirstClone(task) ? 'cloning' : 'preparing'
    case 'setting_up':
      return 'preparing'
    case 'running':
      return 'running'
    case 'review':
      if (pullRequestOf(task)) return 'completed'
      if (auto.state === 'waiting' || auto.state === 'opening') return 'running'
      return autoPrError(auto) ? 'failed' : 'completed'
    case 'failed':
    case 'cancelled':
    case 'interrupted':
      return 'failed'
  }
}

const PROGRESS_WORDS: Partial<Record<TaskRecord['status'], string>> = {
  queued: 'Waiting for a free slot',
  preparing: 'Preparing the code',
  setting_up: 'Running setup.sh',
  running: 'The agent is working',
}

function seedMessage(task: TaskRecord, auto: AutoPrState, progress?: SeedProgress): string {
  const pr = pullRequestOf(task)
  if (task.status === 'review') {
    if (pr) return `Completed. PR URL: ${pr.url}`
    if (auto.state === 'waiting' || auto.state === 'opening') return 'Opening the pull request'
    const error = autoPrError(auto)
    if (error) return describeError(error)
    const files = task.diff?.files ?? 0
    const changed =
      files === 0 ? 'the agent changed no file' : `${files} file${files === 1 ? '' : 's'} changed`
    const ignored =
      auto.state === 'not_github' ? ' No pull request: github_token needs a GitHub git_url.' : ''
    return `Completed: ${changed}; the diff is in diff.patch.${ignored}`
  }
  if (task.status === 'cancelled') return 'The task was cancelled.'
  if (task.status === 'failed' || task.status === 'interrupted') {
    return task.error
      ? describeError(task.error)
      : `The task ${task.status === 'failed' ? 'failed' : 'was interrupted'}.`
  }
  if (task.status === 'preparing' && awaitsFirstClone(task) && progress?.phase !== 'clone') {
    return 'Cloning repository...'
  }
  return progress?.message || PROGRESS_WORDS[task.status] || task.status
}

/**
 * The status JSON of `GET /api/task/{id}/status`: the original service's fields (ID, Status, Message,
 * TaskDescription, TargetFile, GitURL, ZipFileName, CreatedAt, UpdatedAt) next to ours (task_id, status,
 * error, diff). Never a token, never a host path.
 */
export function seedStatusJson(
  task: TaskRecord,
  auto: AutoPrState,
  progress?: SeedProgress,
): Record<string, unknown> {
  const autoError = task.status === 'review' && !pullRequestOf(task) ? autoPrError(auto) : undefined
  return {
    ID: task.id,
    Status: seedWord(task, auto, progress),
    Message: seedMessage(task, auto, progress),
    TaskDescription: task.prompt,
    TargetFile: task.focusFiles[0] ?? '',
    GitURL: task.source.kind === 'git' ? task.source.url : '',
    ZipFileName: task.source.kind === 'zip' ? basename(task.source.path) : '',
    CreatedAt: task.createdAt,
    UpdatedAt: task.updatedAt,
    task_id: task.id,
    status: task.status,
    ...(task.error ? { error: task.error } : autoError ? { error: autoError } : {}),
    ...(task.diff ? { diff: task.diff } : {}),
    ...(pullRequestOf(task) ? { pr_url: pullRequestOf(task)?.url } : {}),
  }
}
