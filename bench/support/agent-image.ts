import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { checkDocker, createDockerClient } from '../../src/main/docker/client'
import { defaultBaseImage, ensureAgentImage, imageExists } from '../../src/main/docker/image'
import { collectCaBundle } from '../../src/main/network/ca-bundle'

const LOCAL_BASE = 'codex-sys/debian-base:bookworm'

/** The Docker engine (it must answer) and the agent image on it, for a benchmark. */
export async function benchDocker(): Promise<{ docker: Docker; image: string }> {
  const docker = createDockerClient()
  await checkDocker(docker)
  return { docker, image: await benchAgentImage(docker) }
}

/** The agent image's base for a benchmark: $CODEX_BASE_IMAGE, else the offline base when present, else the public one. */
export async function benchBaseImage(docker: Docker): Promise<string> {
  const fromEnv = process.env.CODEX_BASE_IMAGE?.trim()
  if (fromEnv) return fromEnv
  return (await imageExists(docker, LOCAL_BASE)) ? LOCAL_BASE : defaultBaseImage()
}

/** The agent image as the engine builds it (the host's CA bundle included, so the same tag), built when missing. */
export async function benchAgentImage(docker: Docker): Promise<string> {
  const baseImage = await benchBaseImage(docker)
  return ensureAgentImage(docker, {
    contextDir: fileURLToPath(new URL('../../agent-image', import.meta.url)),
    baseImage,
    caBundle: (await collectCaBundle()).pem,
    onProgress: (l) => console.log(`  ${l}`),
  })
}
