import { join } from 'node:path'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import type { EngineOptions } from '../../src/main/engine/task-engine'
import type { DesktopService, SecretStore, Services, SettingsStore } from '../../src/main/services'
import { defaultSettings, settingsSchema, type Settings, type SettingsInput } from '../../src/shared/settings'
import { SECRET_NAMES, type SecretEndpoints, type SecretName } from '../../src/shared/system'
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { createSessionStore } from '../../src/main/secrets/secret-store'
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

/**
 * Secrets kept in memory ('session' backend): what a machine without a keychain gets. The real store over a
 * memory backend (createSessionStore), so tests follow the same rules: `initial` values are bound to `endpoints` (the endpoints
 * the settings named when they were "entered").
 */
export async function memorySecrets(
  initial: Partial<Record<SecretName, string>> = {},
  endpoints: SecretEndpoints = currentEndpoints(defaultSettings()),
): Promise<SecretStore> {
  const store = createSessionStore('Tests keep secrets in memory.')
  for (const name of SECRET_NAMES) {
    const value = initial[name]
    if (typeof value === 'string') await store.set(name, value, endpoints[name])
  }
  return store
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
  workspaceCheckMs?: number
}): Promise<Services> {
  const settings = memorySettings({
    model: 'scripted-model',
    baseUrl: opts.baseURL,
    allowLocalHttpGit: true,
    ...opts.settings,
  })
  const secrets = await memorySecrets(
    {
      openai: opts.apiKey === null ? undefined : (opts.apiKey ?? TEST_API_KEY),
      github: opts.githubToken,
    },
    currentEndpoints(settings.get()),
  )
  return openServices({
    dataDir: opts.dataDir,
    settings,
    secrets,
    agentImage: { contextDir: agentImageDir(), baseImage: testBaseImage() },
    desktop: opts.desktop,
    docker: opts.docker,
    idPrefix: 'test-',
    workspaceCheckMs: opts.workspaceCheckMs,
  })
}

export interface TestAppServer {
  root: string
  services: Services
  server: AppServer
  model: ModelServer
  /** The server's access token (undefined only with `noToken: true`). */
  token: string | undefined
  /** `Authorization: Bearer <token>` (empty with `noToken: true`): spread into a request's headers. */
  auth: Record<string, string>
  /** The address a browser visits first: it sets the token's cookie and redirects to the app. */
  openUrl: string
}

/**
 * The headless server on a free port over a real engine (temporary data dir, scripted model server,
 * in-memory settings and secrets). Like the real one it requires its access token (generated unless
 * `token` is given); `noToken: true` asks for the explicit opt-out. Runs `fn`, then closes everything.
 * Call it inside a test.
 */
export async function withTestAppServer<T>(
  opts: {
    script?: ScriptStep[]
    settings?: SettingsInput
    githubToken?: string
    /** The model API key (TEST_API_KEY by default; null for none). */
    apiKey?: string | null
    host?: string
    token?: string
    noToken?: boolean
    rendererDir?: string
    heartbeatMs?: number
    bodyIdleMs?: number
    /** Origins whose pages may call the seed API (the CLI's --allow-origin). */
    allowOrigins?: readonly string[]
    /** Use this directory (data/ and uploads/ under it) instead of a fresh temporary one. */
    root?: string
  },
  fn: (env: TestAppServer) => Promise<T>,
): Promise<T> {
  const root = opts.root ?? (await tempDir())
  const model = await startModelServer(opts.script ?? [])
  const services = await openTestServices({
    dataDir: join(root, 'data'),
    baseURL: model.baseURL,
    settings: opts.settings,
    apiKey: opts.apiKey,
    githubToken: opts.githubToken,
  })
  try {
    const server = await createAppServer(services, {
      host: opts.host ?? '127.0.0.1',
      port: 0,
      token: opts.token,
      noToken: opts.noToken,
      rendererDir: opts.rendererDir ?? join(root, 'no-renderer'),
      uploadDir: join(root, 'uploads'),
      heartbeatMs: opts.heartbeatMs,
      bodyIdleMs: opts.bodyIdleMs,
      allowOrigins: opts.allowOrigins,
    })
    const token = server.token
    const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
    const openUrl =
      token === undefined ? `${server.url}/` : `${server.url}/?token=${encodeURIComponent(token)}`
    try {
      return await fn({ root, services, server, model, token, auth, openUrl })
    } finally {
      await server.close()
    }
  } finally {
    await services.engine.close()
    await model.close()
  }
}
