import { createSystemService } from './engine/system-service'
import { TaskEngine, type EngineOptions } from './engine/task-engine'
import type { DesktopService, SecretStore, Services, SettingsStore } from './services'

/**
 * Opens the engine and wires it to the stores: the one assembly shared by the desktop app and the
 * headless server (which differ only in their stores and in having a desktop).
 */
export async function openServices(opts: {
  dataDir: string
  settings: SettingsStore
  secrets: SecretStore
  agentImage: EngineOptions['agentImage']
  desktop?: DesktopService
  docker?: EngineOptions['docker']
  idPrefix?: string
}): Promise<Services> {
  const engine = await TaskEngine.open({
    dataDir: opts.dataDir,
    settings: () => opts.settings.get(),
    apiKey: () => opts.secrets.get('openai'),
    githubToken: () => opts.secrets.get('github'),
    agentImage: opts.agentImage,
    docker: opts.docker,
    idPrefix: opts.idPrefix,
  })
  return {
    engine,
    settings: opts.settings,
    secrets: opts.secrets,
    system: createSystemService(engine, { desktop: Boolean(opts.desktop) }),
    desktop: opts.desktop,
  }
}
