/**
 * Global setup of the integration project: a Docker engine must answer (the run fails with a clear message
 * otherwise), the agent image is built when missing (progress printed) and its tag provided to the tests
 * (`testImage()`), and before and after, the leftover containers of `test-…` tasks are removed.
 */
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import type { TestProject } from 'vitest/node'
import { checkDocker, createDockerClient } from '../../src/main/docker/client'
import { ensureAgentImage, imageExists } from '../../src/main/docker/image'
import { TASK_LABEL } from '../../src/main/docker/sandbox'
import { forceRemoveContainer } from '../../src/main/docker/task-containers'
import { collectCaBundle } from '../../src/main/network/ca-bundle'
import { toErrorData } from '../../src/main/errors'
import { DOCKER_REQUIRED } from './docker'

const LOCAL_BASE = 'codex-sys/debian-base:bookworm'
const PUBLIC_BASE = 'debian:bookworm-slim'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const docker = createDockerClient()
  try {
    const engine = await checkDocker(docker)
    console.log(`[global-setup] Docker ${engine.version} (API ${engine.apiVersion})`)
  } catch (err) {
    throw new Error(`${DOCKER_REQUIRED} (${toErrorData(err).message})`, { cause: err })
  }

  const baseImage =
    process.env.CODEX_BASE_IMAGE?.trim() ||
    ((await imageExists(docker, LOCAL_BASE)) ? LOCAL_BASE : PUBLIC_BASE)
  // Engine tests build their own agent image through defaultBaseImage(): make it this one.
  process.env.CODEX_BASE_IMAGE = baseImage
  const contextDir = fileURLToPath(new URL('../../agent-image', import.meta.url))
  const started = Date.now()
  let built = false
  try {
    // With the host's CA bundle, as every engine builds it (the same tag, so no test builds its own).
    const { pem: caBundle } = await collectCaBundle()
    const tag = await ensureAgentImage(docker, {
      contextDir,
      baseImage,
      caBundle,
      onProgress: (line, ratio) => {
        built = true
        const pct = ratio === undefined ? '' : ` ${Math.round(ratio * 100)}%`
        console.log(`[agent image${pct}] ${line}`)
      },
    })
    const took = built ? ` built in ${((Date.now() - started) / 1000).toFixed(0)} s` : ''
    console.log(`[global-setup] agent image ${tag} on ${baseImage}${took}`)
    process.env.CODEX_TEST_IMAGE = tag
    project.provide('codexTestImage', tag)
    project.provide('codexTestBaseImage', baseImage)
  } catch (err) {
    const data = toErrorData(err)
    const lines = Array.isArray(data.details?.lastLines) ? `\n${data.details.lastLines.join('\n')}` : ''
    const hint = data.hint ? `\n${data.hint}` : ''
    throw new Error(`Could not build the agent image for the tests: ${data.message}${hint}${lines}`, {
      cause: err,
    })
  }

  await sweepLeftovers(docker)
  return () => sweepLeftovers(docker)
}

/** A test's container alive this long is a leftover, not another test run's (none takes that long). */
const LEFTOVER_AGE_MS = 15 * 60_000

/**
 * Removes the containers of `test-…` tasks that are left over: stopped ones, and running ones older than
 * any test. A test run going on beside this one (another terminal, CI) keeps its live containers.
 */
async function sweepLeftovers(docker: Docker): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [TASK_LABEL] } })
  const leftover = list.filter(
    (c) =>
      (c.Labels?.[TASK_LABEL] ?? '').startsWith('test-') &&
      (c.State !== 'running' || Date.now() - c.Created * 1000 > LEFTOVER_AGE_MS),
  )
  const removed = await Promise.all(leftover.map((c) => forceRemoveContainer(docker, c.Id)))
  const n = removed.filter(Boolean).length
  if (n) console.log(`[global-setup] removed ${n} leftover test container(s)`)
}
