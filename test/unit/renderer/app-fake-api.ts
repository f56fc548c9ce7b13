import type { Api } from '../../../src/shared/api'
import type { CallName, CallOutputs } from '../../../src/shared/contract'
import type { Result } from '../../../src/shared/errors'
import type { AppEvent } from '../../../src/shared/events'
import { defaultSettings } from '../../../src/shared/settings'
import type { SecretsStatus, SystemStatus } from '../../../src/shared/system'
import type { TaskRecord, TaskSource, TaskStatus } from '../../../src/shared/task'

type Handler<N extends CallName> = (input: unknown) => Promise<Result<CallOutputs[N]>>
type Handlers = { [N in CallName]: Handler<N> }

export const ok = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value })

export const reachableStatus = (over: Partial<SystemStatus> = {}): SystemStatus => ({
  docker: { reachable: true, version: '20.10.24', apiVersion: '1.41' },
  image: { tag: 'codex-sys/agent:abc123', baseImage: 'debian:bookworm-slim', present: true, building: false },
  platform: 'linux',
  desktop: false,
  ...over,
})

export function makeTask(i: number, over: Partial<TaskRecord> = {}): TaskRecord {
  const statuses: TaskStatus[] = ['running', 'review', 'failed', 'cancelled', 'queued']
  const sources: TaskSource[] = [
    { kind: 'folder', path: `/home/dev/projects/app-${i}` },
    { kind: 'zip', path: `/tmp/uploads/code-${i}.zip` },
    { kind: 'git', url: `https://github.com/acme/repo-${i}.git`, branch: 'main' },
  ]
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString()
  return {
    id: `task-${i}`,
    title: `Task number ${i}`,
    prompt: `Do thing ${i}`,
    source: sources[i % sources.length]!,
    status: statuses[i % statuses.length]!,
    model: 'gpt-4.1-mini',
    focusFiles: [],
    limits: { maxSteps: 50, maxTokens: 2_000_000, maxCostUsd: 5, timeLimitMs: 1_800_000 },
    createdAt: at,
    updatedAt: at,
    usage: { steps: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 },
    turns: 1,
    ...over,
  }
}

/**
 * A `window.api` for component tests: every call answers from `handlers` (replace one per test),
 * `calls` records what was called with what, `emit` pushes an engine event.
 */
export function createFakeApi(): {
  api: Api
  handlers: Handlers
  calls: { name: string; input: unknown }[]
  emit: (event: AppEvent) => void
  secrets: SecretsStatus
} {
  const listeners = new Set<(event: AppEvent) => void>()
  const calls: { name: string; input: unknown }[] = []
  const secrets: SecretsStatus = { openai: false, github: false, backend: 'keychain' }
  let settings = defaultSettings()
  const handlers = {
    'tasks.list': () => ok<TaskRecord[]>([]),
    'tasks.events': () => ok([]),
    'settings.get': () => ok(settings),
    'settings.update': (input: unknown) => {
      settings = { ...settings, ...(input as object) }
      return ok(settings)
    },
    'secrets.status': () => ok({ ...secrets }),
    'secrets.set': (input: unknown) => {
      secrets[(input as { name: 'openai' | 'github' }).name] = true
      return ok({ ...secrets })
    },
    'secrets.delete': (input: unknown) => {
      secrets[(input as { name: 'openai' | 'github' }).name] = false
      return ok({ ...secrets })
    },
    'system.status': () => ok(reachableStatus()),
    'github.status': () =>
      ok(
        secrets.github
          ? { tokenSet: true, login: 'octocat', scopes: ['repo', 'workflow'] }
          : { tokenSet: false },
      ),
    'github.repos': () => ok({ repos: [], page: 1, hasMore: false }),
  } as Partial<Handlers> as Handlers
  const api = new Proxy({} as Api, {
    get(_target, prop: string) {
      if (prop === 'onEvent') {
        return (listener: (event: AppEvent) => void) => {
          listeners.add(listener)
          return () => listeners.delete(listener)
        }
      }
      if (prop === 'fileSource') {
        return (file: { name: string }) => {
          calls.push({ name: 'fileSource', input: file.name })
          return ok(`/uploads/${file.name}`)
        }
      }
      return (input: unknown) => {
        calls.push({ name: prop, input })
        const handler = handlers[prop as CallName] as ((input: unknown) => Promise<unknown>) | undefined
        return handler
          ? handler(input)
          : Promise.resolve({ ok: false, error: { kind: 'internal', message: `no fake for ${prop}` } })
      }
    },
  })
  return { api, handlers, calls, emit: (event) => listeners.forEach((l) => l(event)), secrets }
}
