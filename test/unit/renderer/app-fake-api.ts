import type { Api } from '../../../src/shared/api'
import type { CallName, CallOutputs } from '../../../src/shared/contract'
import type { Result } from '../../../src/shared/errors'
import type { EngineStatus } from '../../../src/shared/engines'
import type { AppEvent } from '../../../src/shared/events'
import { defaultSettings } from '../../../src/shared/settings'
import { DEFAULT_MODEL_ENDPOINT, endpointOf } from '../../../src/shared/secret-endpoints'
import type { SecretBinding, SecretName, SecretsStatus, SystemStatus } from '../../../src/shared/system'
import type { TaskRecord, TaskSource, TaskStatus } from '../../../src/shared/task'

type Handler<N extends CallName> = (input: unknown) => Promise<Result<CallOutputs[N]>>
type Handlers = { [N in CallName]: Handler<N> }

export const ok = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value })

/** The local engine, answering, with nothing running: `system.engines` of a machine without remotes. */
export const localEngineStatus = (over: Partial<EngineStatus> = {}): EngineStatus => ({
  id: 'local',
  name: 'This computer',
  remote: false,
  enabled: true,
  workspace: 'auto',
  reachable: true,
  version: '27.0.3',
  platform: 'linux/amd64',
  active: [],
  limit: 2,
  ...over,
})

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
  boundTo: Partial<Record<SecretName, string | null>>
} {
  const listeners = new Set<(event: AppEvent) => void>()
  const calls: { name: string; input: unknown }[] = []
  const secrets: SecretsStatus = { openai: false, github: false, backend: 'keychain' }
  /**
   * Where each set secret is bound, like the real store: absent means the endpoint in effect (a secret set
   * by a test directly), null a value stored before secrets were bound.
   */
  const boundTo: Partial<Record<SecretName, string | null>> = {}
  let settings = defaultSettings()
  const endpointNow = (name: SecretName): string =>
    (name === 'openai'
      ? endpointOf(settings.baseUrl ?? DEFAULT_MODEL_ENDPOINT)
      : endpointOf(settings.githubApiUrl)) ?? ''
  const secretsStatus = (): SecretsStatus => {
    const bindings: Partial<Record<SecretName, SecretBinding>> = {}
    for (const name of ['openai', 'github'] as const) {
      if (!secrets[name]) continue
      const endpoint = endpointNow(name)
      const bound = boundTo[name] === undefined ? endpoint : boundTo[name]
      bindings[name] = { ...(bound ? { boundTo: bound } : {}), endpoint, changed: bound !== endpoint }
    }
    return { ...secrets, bindings }
  }
  const handlers = {
    'tasks.list': () => ok<TaskRecord[]>([]),
    'tasks.events': () => ok([]),
    'settings.get': () => ok(settings),
    'settings.update': (input: unknown) => {
      settings = { ...settings, ...(input as object) }
      return ok(settings)
    },
    'secrets.status': () => ok(secretsStatus()),
    'secrets.set': (input: unknown) => {
      const { name } = input as { name: SecretName }
      secrets[name] = true
      boundTo[name] = endpointNow(name)
      return ok(secretsStatus())
    },
    'secrets.delete': (input: unknown) => {
      const { name } = input as { name: SecretName }
      secrets[name] = false
      delete boundTo[name]
      return ok(secretsStatus())
    },
    'secrets.allowEndpoint': (input: unknown) => {
      const { name, endpoint } = input as { name: SecretName; endpoint: string }
      if (endpointOf(endpoint) !== endpointNow(name)) {
        return Promise.resolve({
          ok: false as const,
          error: { kind: 'conflict' as const, message: 'The endpoint changed in the meantime.' },
        })
      }
      boundTo[name] = endpointNow(name)
      return ok(secretsStatus())
    },
    'system.status': () => ok(reachableStatus()),
    'system.engines': () => ok([localEngineStatus()]),
    'system.setupCache': () => ok({ entries: 2, bytes: 1_500_000_000 }),
    'system.clearSetupCache': () => ok({ entries: 2 }),
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
  return { api, handlers, calls, emit: (event) => listeners.forEach((l) => l(event)), secrets, boundTo }
}
