import type { CallName } from '../../src/shared/contract'
import type { Result } from '../../src/shared/errors'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { createHandlers, invokeCall } from '../../src/main/engine/handlers'
import { currentEndpoints } from '../../src/main/secrets/endpoints'
import { memorySettings } from './services'
import type { SecretStore, Services, SystemService } from '../../src/main/services'

/**
 * An engine that must not be touched: only settings.* and secrets.* calls are exercised. It may be told the
 * settings changed (settings.update does), which hands nothing back.
 */
const untouchedEngine = new Proxy(
  { settingsChanged: () => undefined },
  {
    get: (target, key) => {
      if (key === 'settingsChanged') return target.settingsChanged
      throw new Error(`the engine was used (${String(key)}) by a settings/secrets call`)
    },
  },
) as TaskEngine

/** A system service with Docker unreachable and no image: for handlers that never touch Docker. */
export const idleSystem: SystemService = {
  status: async () => ({
    docker: { reachable: false },
    image: { baseImage: 'none', present: false, building: false },
    platform: process.platform,
    desktop: false,
  }),
  buildImage: async () => ({ tag: 'none' }),
}

/**
 * Every settings.* and secrets.* call the UI can make, through the contract's validation and the real
 * handlers, over the given secret store; returns each call's result as the UI would receive it.
 */
export async function callSecretHandlers(
  secrets: SecretStore,
  value: string,
): Promise<{ call: CallName; result: Result<unknown> }[]> {
  const settings = memorySettings()
  const services: Services = {
    engine: untouchedEngine,
    settings,
    secrets,
    system: idleSystem,
  }
  const handlers = createHandlers(services)
  // Where the model key goes with the default settings (api.openai.com unless OPENAI_BASE_URL says otherwise).
  const home = currentEndpoints(settings.get()).openai
  const calls: [CallName, unknown][] = [
    ['secrets.set', { name: 'openai', value }],
    ['secrets.status', {}],
    ['settings.get', {}],
    ['settings.update', { model: 'some-model' }],
    ['secrets.set', { name: 'github', value }],
    ['secrets.status', {}],
    // Refused calls: their errors must not echo the value either.
    ['secrets.set', { name: 'openai', value, extra: value }],
    ['secrets.set', { name: value, value }],
    ['secrets.set', { name: 'openai', value: value.repeat(2000) }],
    ['secrets.status', { name: 'openai' }],
    ['secrets.delete', { name: 'github' }],
    ['secrets.status', {}],
    // The endpoint moves: the key is held back, a confirmation for another endpoint is refused, the right
    // one moves it there and back again.
    ['settings.update', { baseUrl: 'https://elsewhere.example/v1' }],
    ['secrets.status', {}],
    ['secrets.allowEndpoint', { name: 'openai', endpoint: 'https://not-shown.example' }],
    ['secrets.allowEndpoint', { name: 'openai', endpoint: 'https://elsewhere.example' }],
    ['settings.update', { baseUrl: null }],
    ['secrets.allowEndpoint', { name: 'openai', endpoint: home }],
    ['secrets.status', {}],
  ]
  const results: { call: CallName; result: Result<unknown> }[] = []
  for (const [call, input] of calls) results.push({ call, result: await invokeCall(handlers, call, input) })
  return results
}
