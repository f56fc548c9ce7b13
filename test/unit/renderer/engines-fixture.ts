import type { EngineStatus, RemoteEngine } from '../../../src/shared/engines'
import { defaultSettings } from '../../../src/shared/settings'
import { settingsStore } from '../../../src/renderer/src/lib/settings'
import { localEngineStatus, ok } from './app-fake-api'
import { fake } from './app-install-fake'

/** Two remote engines: a TLS one that answers, an SSH one that does not. */
export const BUILD_BOX: RemoteEngine = {
  id: 'build-box',
  name: 'Build box',
  host: 'tcp://build-box:2376',
  certDir: '/home/dev/.docker/build-box',
  maxConcurrentTasks: 2,
  enabled: true,
}
export const GPU_BOX: RemoteEngine = {
  id: 'gpu',
  name: 'GPU box',
  host: 'ssh://dev@gpu',
  maxConcurrentTasks: 1,
  enabled: true,
}

/** What `system.engines` answers for BUILD_BOX and GPU_BOX (the build box running `running` tasks). */
export function statusesOf(engines: readonly RemoteEngine[], running: string[] = ['task-1']): EngineStatus[] {
  return [
    localEngineStatus(),
    ...engines.map((e): EngineStatus => ({
      id: e.id,
      name: e.name,
      host: e.host,
      remote: true,
      enabled: e.enabled,
      workspace: 'copy',
      limit: e.maxConcurrentTasks,
      ...(e.id === GPU_BOX.id
        ? {
            reachable: false,
            active: [],
            error: {
              message: 'The SSH host key of gpu is not in known_hosts',
              hint: 'Run `ssh dev@gpu` once and accept its key.',
            },
          }
        : {
            reachable: true,
            version: '26.1.4',
            platform: 'linux/arm64',
            active: e.id === BUILD_BOX.id ? running : [],
          }),
    })),
  ]
}

/** Settings with these remote engines (none: this computer alone), as the renderer's store sees them. */
export async function seedEngines(engines: RemoteEngine[]): Promise<void> {
  await fake.handlers['settings.update']({ engines, docker: defaultSettings().docker })
  fake.handlers['system.engines'] = () => ok(statusesOf(engines))
  await settingsStore().reload()
  fake.calls.length = 0
}
