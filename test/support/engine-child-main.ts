/**
 * The engine in a process of its own (forked by engine-child.ts with tsx): the real services over the
 * data dir it is given, the scripted model server's address, in-memory settings and secrets, and the
 * headless server on a free loopback port without a token. It tells its parent the address over IPC and
 * runs until it is killed (SIGKILL: the crash under test) or asked to stop (SIGTERM: a clean close).
 */
import { join } from 'node:path'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { createSessionStore } from '../../src/main/secrets/secret-store'
import { createAppServer } from '../../src/main/server/app-server'
import type { SettingsStore } from '../../src/main/services'
import { mergeSettings } from '../../src/main/settings/settings-patch'
import { defaultSettings, settingsSchema, type Settings } from '../../src/shared/settings'
import { ENGINE_CHILD_ENV, type EngineChildConfig, type EngineChildMessage } from './engine-child-protocol'

const config = JSON.parse(process.env[ENGINE_CHILD_ENV] ?? '{}') as EngineChildConfig

let current: Settings = settingsSchema.parse({
  ...defaultSettings(),
  model: 'scripted-model',
  baseUrl: config.baseURL,
  allowLocalHttpGit: true,
  ...config.settings,
})
const settings: SettingsStore = {
  get: () => current,
  update: async (patch) => {
    current = settingsSchema.parse(mergeSettings(current, patch))
    return current
  },
}
const secrets = createSessionStore('The engine child keeps secrets in memory.')
await secrets.set('openai', config.apiKey, currentEndpoints(current).openai)

const services = await openServices({
  dataDir: config.dataDir,
  settings,
  secrets,
  agentImage: { contextDir: agentImageDir(), baseImage: config.baseImage },
  idPrefix: 'test-',
})
const server = await createAppServer(services, {
  host: '127.0.0.1',
  port: 0,
  noToken: true,
  rendererDir: join(config.dataDir, '..', 'no-renderer'),
  uploadDir: join(config.dataDir, '..', 'uploads'),
})

process.on('SIGTERM', () => {
  void (async () => {
    await server.close()
    await services.engine.close()
    process.exit(0)
  })()
})
const ready: EngineChildMessage = { type: 'ready', url: server.url }
process.send?.(ready)
