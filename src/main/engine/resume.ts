import { rm } from 'node:fs/promises'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { resumeCheck, type TaskRecord } from '../../shared/task'
import { AppError } from '../errors'
import type { TaskPaths, TaskStore } from './task-store'

/**
 * Readies a task for a resume (see resumeCheck), or says why it cannot be: the record is queued (in memory
 * at once, so a second call meets a conflict) with why its last turn stopped.
 */
export function prepareResume(store: TaskStore, id: string, running: boolean): Promise<TaskRecord> {
  const task = store.get(id)
  const check = resumeCheck(task)
  if (!check.ok) {
    throw new AppError('conflict', `This task cannot be resumed. ${check.why}`, {
      hint: 'Resume is for a task the app, Docker, the model API or the disk stopped; a new task can start over.',
      details: { status: task.status, errorKind: task.error?.kind },
    })
  }
  if (running) {
    throw new AppError('conflict', 'This task is still stopping.', { hint: 'Try again in a moment.' })
  }
  return store.update(id, {
    status: 'queued',
    error: undefined,
    finishedAt: undefined,
    resumable: undefined,
    checkpoint: check.fromScratch ? undefined : task.checkpoint,
    pendingResume: task.error?.message ?? 'codex-sys stopped',
  })
}

/** What an import cut off before its baseline left (the copy, the git dirs): a resume imports again. */
export async function clearPartialImport(paths: TaskPaths): Promise<void> {
  for (const dir of [paths.workspace, paths.gitDir, paths.upstream])
    await rm(dir, { recursive: true, force: true })
}

/** Records on the checkpoint that the agent phase of the turn reached the task's current step. */
export async function markAgentStep(
  store: TaskStore,
  id: string,
  step = store.get(id).usage.steps,
): Promise<void> {
  const checkpoint = store.get(id).checkpoint
  if (checkpoint) await store.update(id, { checkpoint: { ...checkpoint, step } })
}

/**
 * Keeps the agent's history on disk as the turn goes (its opening, then after each whole step), with the
 * step it reached on the checkpoint: a turn cut off mid-way can go on from there. Writes run in order.
 */
export function conversationKeeper(
  store: TaskStore,
  id: string,
): (messages: ChatCompletionMessageParam[]) => Promise<void> {
  let last: Promise<void> = Promise.resolve()
  return (messages) => {
    const text = JSON.stringify(messages)
    const step = store.get(id).usage.steps
    last = last
      .catch(() => undefined)
      .then(async () => {
        await store.writeArtifact(id, 'conversation.json', text)
        await markAgentStep(store, id, step)
      })
    return last
  }
}
