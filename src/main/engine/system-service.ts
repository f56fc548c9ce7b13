import type { SystemStatus } from '../../shared/system'
import { checkDocker } from '../docker/client'
import { toErrorData } from '../errors'
import type { SystemService } from '../services'
import type { TaskEngine } from './task-engine'

/** Docker and agent-image status for Settings and the first-run screen; builds the image on request. */
export function createSystemService(engine: TaskEngine, opts: { desktop: boolean }): SystemService {
  return {
    async status(): Promise<SystemStatus> {
      const base = { platform: process.platform, desktop: opts.desktop }
      try {
        const { version, apiVersion } = await checkDocker(engine.docker)
        return {
          ...base,
          docker: { reachable: true, version, apiVersion },
          image: await engine.image.status(),
        }
      } catch (err) {
        const image = { baseImage: engine.image.source.baseImage, present: false, building: false }
        return { ...base, docker: { reachable: false, error: toErrorData(err) }, image }
      }
    },
    async buildImage() {
      await checkDocker(engine.docker)
      return { tag: await engine.image.ensure() }
    },
  }
}
