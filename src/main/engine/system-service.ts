import type { Settings } from '../../shared/settings'
import type { SystemStatus } from '../../shared/system'
import type { DiscoveryEnv } from '../docker/engine-discovery'
import { EngineProbe } from '../docker/engine-probe'
import { toErrorData } from '../errors'
import type { SystemService } from '../services'
import type { TaskEngine } from './task-engine'

export interface SystemServiceOptions {
  desktop: boolean
  /** The current settings: the engine named in Settings → Docker, and the sandbox limits to fit. */
  settings?: () => Settings
  discovery?: DiscoveryEnv
  /** How long one check waits (default 5 s) and how long a waking engine may take (default 90 s). */
  checkMs?: number
  wakeMs?: number
}

/**
 * Docker and agent-image status for Settings and the first-run screen; builds the image on request. Each
 * check finds the engine again after a failed one (see EngineProbe), so an engine started after the app
 * is found without a restart.
 */
export function createSystemService(engine: TaskEngine, opts: SystemServiceOptions): SystemService {
  const settings = opts.settings
  const probe = new EngineProbe(engine.docker, {
    host: settings && (() => settings().docker.host),
    limits: settings && (() => settings().sandbox),
    discovery: opts.discovery,
    checkMs: opts.checkMs,
    wakeMs: opts.wakeMs,
  })
  return {
    async status(): Promise<SystemStatus> {
      const base = { platform: opts.discovery?.platform ?? process.platform, desktop: opts.desktop }
      const docker = await probe.status()
      const noImage = { baseImage: engine.image.source.baseImage, present: false, building: false }
      if (!docker.reachable) return { ...base, docker, image: noImage }
      try {
        return { ...base, docker, image: await engine.image.status() }
      } catch (err) {
        // The engine went away between the two questions, or answered with an error.
        return { ...base, docker: { ...docker, reachable: false, error: toErrorData(err) }, image: noImage }
      }
    },
    async buildImage() {
      // Waits through a wake-up (Resource Saver) instead of failing after 5 s.
      await probe.ready()
      return { tag: await engine.image.ensure() }
    },
  }
}
