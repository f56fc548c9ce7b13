import type Docker from 'dockerode'
import { checkDocker } from './client'

/**
 * An engine's platform as Docker names it (`linux/amd64`, `linux/arm64`): what its images are built
 * for and what the binaries a setup installs run on. Asked once per client; a failed answer is not
 * kept, so the next call asks again.
 */
const known = new WeakMap<Docker, Promise<string>>()

export function enginePlatform(docker: Docker): Promise<string> {
  const cached = known.get(docker)
  if (cached) return cached
  const asked = checkDocker(docker).then(({ platform }) => platform)
  asked.catch(() => known.delete(docker))
  known.set(docker, asked)
  return asked
}

/**
 * Why what was made on the `from` engine (an image, a setup's result) cannot run on the `to` engine, or
 * undefined when both are the same platform.
 */
export async function platformMismatch(from: Docker, to: Docker): Promise<string | undefined> {
  const [source, target] = await Promise.all([enginePlatform(from), enginePlatform(to)])
  if (source === target) return undefined
  return `this computer's engine is ${source}, that one ${target}`
}
