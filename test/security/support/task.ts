import { join } from 'node:path'
import { onTestFinished } from 'vitest'
import type { TaskEngine } from '../../../src/main/engine/task-engine'
import type { SubmitTaskInput, TaskRecord } from '../../../src/shared/task'
import { writeFiles } from '../../support/files'
import type { ModelServer, ScriptStep } from '../../support/model-server'
import type { Planted } from './hostile'
import { openHostileCase, settled, type HostileCaseOptions } from './task-case'

export { settled } from './task-case'

export interface HostileTask {
  engine: TaskEngine
  model: ModelServer
  /** The user's folder the task is started on (`<root>/input/repo`), holding `files`. */
  repo: string
}

/**
 * A hostile case (see task-case.ts) on an already planted home, closed when the test finishes, with the
 * user's folder written from `files`.
 */
export async function openHostileEngine(
  planted: Planted,
  opts: HostileCaseOptions & { files?: Record<string, string | Buffer> } = {},
): Promise<HostileTask> {
  const c = await openHostileCase(planted, opts)
  onTestFinished(c.close)
  const repo = join(c.input, 'repo')
  await writeFiles(repo, opts.files ?? { 'README.md': '# a project\n' })
  return { engine: c.engine, model: c.model, repo }
}

/** Submits a task on `repo` and waits for it to settle (review, failed, …). */
export async function runToEnd(
  engine: TaskEngine,
  input: Partial<SubmitTaskInput> & { repo: string },
  timeoutMs = 150_000,
): Promise<TaskRecord> {
  const { repo, ...rest } = input
  const task = await engine.submit({
    source: { kind: 'folder', path: repo },
    prompt: 'Do the task.',
    ...rest,
  })
  return settled(engine, task.id, timeoutMs)
}

/** A scripted step: one shell command. */
export const shell = (command: string, timeout_seconds = 60): ScriptStep => ({
  toolCalls: [{ name: 'shell', args: { command, timeout_seconds } }],
})
export const finish = (summary = 'Done.'): ScriptStep => ({
  toolCalls: [{ name: 'finish', args: { summary } }],
})

/** Every tool result the model was sent, in order (what the agent saw). */
export function toolOutputs(model: ModelServer): string[] {
  const last = model.requests.at(-1)?.body.messages ?? []
  return last.filter((m) => m.role === 'tool').map((m) => String(m.content))
}
