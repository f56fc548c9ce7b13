import type { TaskEvent } from '../../src/shared/events'
import { defaultSettings, settingsSchema, type SettingsInput } from '../../src/shared/settings'
import type { TaskRecord, TaskStatus } from '../../src/shared/task'
import { agentImageDir } from '../../src/main/cli/paths'
import { TaskEngine, type EngineOptions } from '../../src/main/engine/task-engine'
import { testBaseImage } from './docker'

export const TEST_API_KEY = 'sk-test-do-not-leak-4f9c2a7e1b'

/** A real engine on a temporary data dir, talking to the scripted model server. */
export async function openTestEngine(opts: {
  dataDir: string
  baseURL: string
  settings?: SettingsInput
  apiKey?: string | null
  githubToken?: string
  docker?: EngineOptions['docker']
}): Promise<TaskEngine> {
  const settings = settingsSchema.parse({
    ...defaultSettings(),
    model: 'scripted-model',
    baseUrl: opts.baseURL,
    allowLocalHttpGit: true,
    ...opts.settings,
  })
  return TaskEngine.open({
    dataDir: opts.dataDir,
    settings: () => settings,
    apiKey: async () => (opts.apiKey === null ? undefined : (opts.apiKey ?? TEST_API_KEY)),
    githubToken: async () => opts.githubToken,
    agentImage: { contextDir: agentImageDir(), baseImage: testBaseImage() },
    docker: opts.docker,
    idPrefix: 'test-',
  })
}

/** Resolves when the task reaches one of `statuses`; fails with its events when it settles elsewhere. */
export function waitForStatus(
  engine: TaskEngine,
  id: string,
  statuses: TaskStatus[],
  timeoutMs = 120_000,
): Promise<TaskRecord> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const task = engine.get(id)
      if (statuses.includes(task.status)) {
        resolve(task)
        return true
      }
      if (['review', 'failed', 'cancelled', 'interrupted'].includes(task.status)) {
        reject(
          new Error(
            `task ${id} ended ${task.status}, not ${statuses.join('/')}: ${JSON.stringify(task.error)}`,
          ),
        )
        return true
      }
      return false
    }
    if (check()) return
    const timer = setTimeout(() => {
      unsubscribe()
      reject(
        new Error(
          `task ${id} did not reach ${statuses.join('/')} within ${timeoutMs} ms (${engine.get(id).status})`,
        ),
      )
    }, timeoutMs)
    const unsubscribe = engine.subscribe((event: TaskEvent) => {
      if (event.taskId === id && event.type === 'status' && check()) {
        clearTimeout(timer)
        unsubscribe()
      }
    })
  })
}

/** Resolves with the first event of the task that matches. */
export function waitForEvent(
  engine: TaskEngine,
  id: string,
  match: (event: TaskEvent) => boolean,
  timeoutMs = 120_000,
): Promise<TaskEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`task ${id}: the awaited event did not come within ${timeoutMs} ms`))
    }, timeoutMs)
    const unsubscribe = engine.subscribe((event) => {
      if (event.taskId === id && match(event)) {
        clearTimeout(timer)
        unsubscribe()
        resolve(event)
      }
    })
  })
}
