import { mkdir, readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { expect } from 'vitest'
import type { TaskEngine } from '../../../src/main/engine/task-engine'
import type { Services } from '../../../src/main/services'
import type { SubmitTaskInput, TaskRecord } from '../../../src/shared/task'
import type { SettingsInput } from '../../../src/shared/settings'
import type { ErrorKind } from '../../../src/shared/errors'
import { isSettled } from '../../../src/shared/task'
import { AppError } from '../../../src/main/errors'
import { eventText } from '../../../src/main/cli/terminal-text'
import { openTestServices } from '../../support/services'
import {
  startModelServer,
  type ChatRequest,
  type ModelServer,
  type ScriptStep,
} from '../../support/model-server'
import { expectHeld, plantSecrets, type Planted } from './hostile'

/**
 * One hostile case through the real engine: planted secrets (a host secret in a "home" outside the data
 * dir, the API key, the GitHub token), a scripted model server that insists on the planted key, and an
 * engine on `planted.dataDir` holding both secrets. Hostile inputs go under `input` (beside the data dir).
 */
export interface HostileCase {
  planted: Planted
  model: ModelServer
  services: Services
  engine: TaskEngine
  /** Where the case puts its hostile ZIPs, folders and scripts: under the case root, outside the data dir. */
  input: string
}

export interface HostileCaseOptions {
  script?: ScriptStep[] | ((req: ChatRequest, index: number) => ScriptStep)
  settings?: SettingsInput
  /** How often a running container's workspace size is checked (the engine's default: 10 s). */
  workspaceCheckMs?: number
}

/** A real engine on the planted data dir, holding the planted secrets; `close` stops it and the model. */
export async function openHostileCase(
  planted: Planted,
  opts: HostileCaseOptions,
): Promise<HostileCase & { close: () => Promise<void> }> {
  const input = join(planted.root, 'input')
  await mkdir(input, { recursive: true })
  const model = await startModelServer(opts.script ?? [], { apiKey: planted.apiKey })
  const services = await openTestServices({
    dataDir: planted.dataDir,
    baseURL: model.baseURL,
    apiKey: planted.apiKey,
    githubToken: planted.githubToken,
    settings: opts.settings,
    workspaceCheckMs: opts.workspaceCheckMs,
  })
  const close = async (): Promise<void> => {
    await services.engine.close()
    await model.close()
  }
  return { planted, model, services, engine: services.engine, input, close }
}

export async function withHostileCase<T>(
  opts: HostileCaseOptions,
  fn: (c: HostileCase) => Promise<T>,
): Promise<T> {
  const c = await openHostileCase(await plantSecrets(), opts)
  try {
    return await fn(c)
  } finally {
    await c.close()
  }
}

/** Resolves with the task once it settles (review, failed, cancelled, interrupted). */
export function settled(engine: TaskEngine, id: string, timeoutMs = 150_000): Promise<TaskRecord> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const task = engine.get(id)
      if (!isSettled(task.status)) return false
      clearTimeout(timer)
      unsubscribe()
      resolve(task)
      return true
    }
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`task ${id} did not settle within ${timeoutMs} ms (${engine.get(id).status})`))
    }, timeoutMs)
    const unsubscribe = engine.subscribe((event) => {
      if (event.taskId === id && event.type === 'status') check()
    })
    check()
  })
}

/** Submits `input` and waits for the task to settle. */
export async function runTask(c: HostileCase, input: SubmitTaskInput): Promise<TaskRecord> {
  const task = await c.engine.submit(input)
  return settled(c.engine, task.id)
}

/**
 * Submits `input`: either the engine refuses it at once (an AppError, and no task is created at all) or
 * the task runs and settles.
 */
export async function submitOrRefusal(
  c: HostileCase,
  input: SubmitTaskInput,
): Promise<{ task: TaskRecord; refusal?: undefined } | { task?: undefined; refusal: AppError }> {
  const before = c.engine.list().length
  try {
    return { task: await runTask(c, input) }
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    expect(c.engine.list().length, 'a refused submission creates no task').toBe(before)
    return { refusal: err }
  }
}

/** C0 controls but tab and newline, DEL and C1 controls: what a terminal acts on. */
// eslint-disable-next-line no-control-regex
export const TERMINAL_ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

/** A message fit for any display: no control character at all (not even a newline). */
export function expectPlainMessage(message: string | undefined): void {
  // eslint-disable-next-line no-control-regex
  expect(message, 'the message holds no control character').not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
}

/** The task failed with `kind`, a message matching `message` and a hint saying what to do. */
export function expectFailed(task: TaskRecord, kind: ErrorKind, message: RegExp | string): void {
  expect(task.status, JSON.stringify(task.error)).toBe('failed')
  expect(task.error?.kind, task.error?.message).toBe(kind)
  if (typeof message === 'string') expect(task.error?.message).toContain(message)
  else expect(task.error?.message).toMatch(message)
  expect(task.error?.hint, 'a refusal says what to do next').toBeTruthy()
}

/** A submission refused at once with `kind`, a message matching `message` and a hint. */
export function expectRefused(err: AppError, kind: ErrorKind, message: RegExp | string): void {
  expect(err.kind, err.message).toBe(kind)
  if (typeof message === 'string') expect(err.message).toContain(message)
  else expect(err.message).toMatch(message)
  expect(err.hint, 'a refusal says what to do next').toBeTruthy()
}

/** Every path under `dir` (relative), directories included, links not followed. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = []
  const visit = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const abs = join(path, entry.name)
      out.push(relative(dir, abs))
      if (entry.isDirectory()) await visit(abs)
    }
  }
  await visit(dir)
  return out.sort()
}

/**
 * Nothing was created anywhere but in the task's own directory: the case root holds only the data dir,
 * the planted home and the inputs (as they were), and the data dir only task directories of this engine.
 */
export async function expectOnlyTaskDirs(c: HostileCase, inputsBefore: string[]): Promise<void> {
  expect((await readdir(c.planted.root)).sort(), 'the case root').toEqual(['data', 'input', 'outside'])
  expect(await listTree(c.input), 'the hostile inputs are as they were').toEqual(inputsBefore)
  const ids = new Set(c.engine.list().map((t) => t.id))
  for (const name of await readdir(c.planted.dataDir)) {
    if (name !== 'tasks') continue
    for (const id of await readdir(join(c.planted.dataDir, 'tasks'))) {
      expect(ids.has(id), `tasks/${id} belongs to a task`).toBe(true)
    }
  }
}

/** Everything the engine said about a task, for the leak check (events are also on disk; this is belt and braces). */
export async function taskText(c: HostileCase, id: string): Promise<Array<{ what: string; text: string }>> {
  const events = await c.engine.events(id)
  return [
    { what: 'task record', text: JSON.stringify(c.engine.get(id)) },
    { what: 'events', text: JSON.stringify(events) },
  ]
}

/** The case's closing checks: the planted home untouched, no secret anywhere, the CLI's view of it inert. */
export async function expectCaseHeld(c: HostileCase, ids: string[]): Promise<void> {
  const also = (await Promise.all(ids.map((id) => taskText(c, id)))).flat()
  await expectHeld(c.planted, { model: c.model, also })
  for (const id of ids) {
    for (const event of await c.engine.events(id)) {
      expect(eventText(event, { json: false })).not.toMatch(TERMINAL_ACTIVE)
    }
  }
}
