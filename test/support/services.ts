import { join } from 'node:path'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import type { EngineOptions } from '../../src/main/engine/task-engine'
import type { DesktopService, SecretStore, Services, SettingsStore } from '../../src/main/services'
import { defaultSettings, settingsSchema, type Settings, type SettingsInput } from '../../src/shared/settings'
import { SECRET_NAMES, type SecretName } from '../../src/shared/system'
import { createAppServer, type AppServer } from '../../src/main/server/app-server'
import { testBaseImage } from './docker'
import { startModelServer, type ModelServer, type ScriptStep } from './model-server'
import { mergeSettings } from '../../src/main/settings/settings-patch'
import { tempDir } from './tmp'

export const TEST_API_KEY = 'sk-test-do-not-leak-4f9c2a7e1b'

/** Settings kept in memory, validated like the real stores. */
export function memorySettings(initial: SettingsInput = {}): SettingsStore {
  let current: Settings = settingsSchema.parse({ ...defaultSettings(), ...initial })
  return {
    get: () => current,
    update: async (patch) => {
      current = settingsSchema.parse(mergeSettings(current, patch))
      return current
    },
  }
}

/** Secrets kept in memory ('session' backend): what a machine without a keychain gets. */
export function memorySecrets(initial: Partial<Record<SecretName, string>> = {}): SecretStore {
  const values = new Map<SecretName, string>(
    Object.entries(initial).filter((e): e is [SecretName, string] => typeof e[1] === 'string'),
  )
  return {
    status: async () => ({
      openai: values.has('openai'),
      github: values.has('github'),
      backend: 'session',
      keychainProblem: 'Tests keep secrets in memory.',
    }),
    get: async (name) => values.get(name),
    set: async (name, value) => {
      if (!SECRET_NAMES.includes(name)) throw new Error(`Unknown secret ${String(name)}`)
      values.set(name, value)
    },
    delete: async (name) => {
      values.delete(name)
    },
  }
}

/**
 * The services a transport binds (engine, settings, secrets, system), over a real engine on `dataDir`
 * talking to the scripted model server at `baseURL`, with in-memory settings and secrets.
 */
export async function openTestServices(opts: {
  dataDir: string
  baseURL: string
  settings?: SettingsInput
  apiKey?: string | null
  githubToken?: string
  desktop?: DesktopService
  docker?: EngineOptions['docker']
}): Promise<Services> {
  const settings = memorySettings({
    model: 'scripted-model',
    baseUrl: opts.baseURL,
    allowLocalHttpGit: true,
    ...opts.settings,
  })
  const secrets = memorySecrets({
    openai: opts.apiKey === null ? undefined : (opts.apiKey ?? TEST_API_KEY),
    github: opts.githubToken,
  })
  return openServices({
    dataDir: opts.dataDir,
    settings,
    secrets,
    agentImage: { contextDir: agentImageDir(), baseImage: testBaseImage() },
    desktop: opts.desktop,
    docker: opts.docker,
    idPrefix: 'test-',
  })
}

export interface TestAppServer {
  root: string
  services: Services
  server: AppServer
  model: ModelServer
}

/**
 * The headless server on a free port over a real engine (temporary data dir, scripted model server,
 * in-memory settings and secrets). Runs `fn`, then closes everything. Call it inside a test.
 */
export async function withTestAppServer<T>(
  opts: {
    script?: ScriptStep[]
    settings?: SettingsInput
    githubToken?: string
    host?: string
    token?: string
    rendererDir?: string
    heartbeatMs?: number
  },
  fn: (env: TestAppServer) => Promise<T>,
): Promise<T> {
  const root = await tempDir()
  const model = await startModelServer(opts.script ?? [])
  const services = await openTestServices({
    dataDir: join(root, 'data'),
    baseURL: model.baseURL,
    settings: opts.settings,
    githubToken: opts.githubToken,
  })
  try {
    const server = await createAppServer(services, {
      host: opts.host ?? '127.0.0.1',
      port: 0,
      token: opts.token,
      rendererDir: opts.rendererDir ?? join(root, 'no-renderer'),
      uploadDir: join(root, 'uploads'),
      heartbeatMs: opts.heartbeatMs,
    })
    try {
      return await fn({ root, services, server, model })
    } finally {
      await server.close()
    }
  } finally {
    await services.engine.close()
    await model.close()
  }
}
