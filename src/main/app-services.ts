import { createSystemService } from './engine/system-service'
import { AppError } from './errors'
import { TaskEngine, type EngineOptions } from './engine/task-engine'
import { secretForUse } from './secrets/endpoints'
import type { DesktopService, SecretStore, Services, SettingsStore } from './services'

/**
 * Opens the engine and wires it to the stores: the one assembly shared by the desktop app and the
 * headless server (which differ only in their stores and in having a desktop).
 *
 * The engine gets each secret only for the endpoint the settings name when it asks (the model base URL,
 * the GitHub API host) and only when the secret is bound to that endpoint. Otherwise the model key throws
 * `secret_endpoint_changed` (the task fails with what to do) and the GitHub token is withheld (Settings
 * and `github.status` say why).
 */
export async function openServices(opts: {
  dataDir: string
  settings: SettingsStore
  secrets: SecretStore
  agentImage: EngineOptions['agentImage']
  desktop?: DesktopService
  docker?: EngineOptions['docker']
  idPrefix?: string
  workspaceCheckMs?: EngineOptions['workspaceCheckMs']
}): Promise<Services> {
  const settings = () => opts.settings.get()
  const engine = await TaskEngine.open({
    dataDir: opts.dataDir,
    settings,
    apiKey: async () => (await secretForUse(opts.secrets, settings, 'openai')).value,
    githubToken: async () => {
      try {
        return (await secretForUse(opts.secrets, settings, 'github')).value
      } catch (err) {
        // Held back, not fatal: the engine asks for the token for every task and publish, most of which
        // (folders, ZIPs, exports) never use it. Where it is needed, the step fails for want of a token.
        if (err instanceof AppError && err.kind === 'secret_endpoint_changed') return undefined
        throw err
      }
    },
    agentImage: opts.agentImage,
    docker: opts.docker,
    idPrefix: opts.idPrefix,
    workspaceCheckMs: opts.workspaceCheckMs,
  })
  return {
    engine,
    settings: opts.settings,
    secrets: opts.secrets,
    system: createSystemService(engine, { desktop: Boolean(opts.desktop), settings }),
    desktop: opts.desktop,
  }
}
