import type Docker from 'dockerode'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { TaskEvent } from '../../src/shared/events'
import type { SettingsInput } from '../../src/shared/settings'
import { isSettled, type SubmitTaskInput, type TaskStatus } from '../../src/shared/task'
import { memorySecrets, memorySettings, TEST_API_KEY } from '../../test/support/services'
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { benchBaseImage } from './agent-image'

/**
 * A real engine on `dataDir` (in-memory settings and secrets, as the integration tests have them) talking
 * to the scripted model server at `baseURL`. It never pulls the agent image (no registry is reachable
 * here): a missing image is built locally, as the product does when the pull fails.
 */
export async function openBenchEngine(opts: {
  docker: Docker
  dataDir: string
  baseURL: string
  settings?: SettingsInput
}): Promise<TaskEngine> {
  const settings = memorySettings({
    model: 'scripted-model',
    baseUrl: opts.baseURL,
    agentImage: { registry: '' },
    ...opts.settings,
  })
  const secrets = await memorySecrets({ openai: TEST_API_KEY }, currentEndpoints(settings.get()))
  const services = await openServices({
    dataDir: opts.dataDir,
    settings,
    secrets,
    agentImage: { contextDir: agentImageDir(), baseImage: await benchBaseImage(opts.docker) },
    idPrefix: 'bench-',
  })
  return services.engine
}

export interface TimedTask {
  id: string
  /** Seconds from the submit call to each status the task entered, in order. */
  statuses: Array<{ status: TaskStatus; seconds: number }>
  /** Seconds from the submit call to each log line of the task (setup output, system notes). */
  logs: Array<{ text: string; seconds: number }>
}

/**
 * Submits a task and follows its status events until it settles: the seconds from the submit call to
 * each status. Throws with the task's error when it settles anywhere but `review`.
 */
export async function runTimedTask(engine: TaskEngine, input: SubmitTaskInput): Promise<TimedTask> {
  const start = performance.now()
  // Every task's events, timed as they come: some may come before submit returns the id.
  const seen: Array<{ event: TaskEvent; seconds: number }> = []
  let wake: (() => void) | undefined
  const off = engine.subscribe((event: TaskEvent) => {
    if (event.type !== 'status' && event.type !== 'log') return
    seen.push({ event, seconds: (performance.now() - start) / 1000 })
    if (event.type === 'status') wake?.()
  })
  try {
    const { id } = await engine.submit(input)
    while (!isSettled(engine.get(id).status)) await new Promise<void>((resolve) => (wake = resolve))
    const task = engine.get(id)
    if (task.status !== 'review')
      throw new Error(`task ${id} ended ${task.status}: ${JSON.stringify(task.error)}`)
    const statuses: TimedTask['statuses'] = []
    const logs: TimedTask['logs'] = []
    for (const { event, seconds } of seen) {
      if (event.taskId !== id) continue
      if (event.type === 'status') statuses.push({ status: event.status, seconds })
      if (event.type === 'log') logs.push({ text: event.text, seconds })
    }
    return { id, statuses, logs }
  } finally {
    off()
  }
}

/** Seconds from submit to the first time the task entered `status`; throws when it never did. */
export function secondsTo(task: TimedTask, status: TaskStatus): number {
  const entered = task.statuses.find((s) => s.status === status)
  if (!entered) throw new Error(`task ${task.id} never entered ${status}`)
  return entered.seconds
}

/** Seconds from submit to the first log line of the task that matches; throws when none did. */
export function secondsToLog(task: TimedTask, pattern: RegExp): number {
  const line = task.logs.find((l) => pattern.test(l.text))
  if (!line) throw new Error(`task ${task.id} logged no line matching ${pattern}`)
  return line.seconds
}
