/**
 * Global setup of the projects that use Docker: a Docker engine must answer (the run fails with a clear
 * message otherwise), the agent image's tag is computed and provided to the tests (`testImage()`), and the
 * image is built in the background when missing (progress printed), so the unit tests start at once; each
 * test file of these projects waits for it first (agent-image-ready.ts). The image is cached by its tag:
 * a warm run only asks Docker whether the tag exists. Before and after, the leftover containers of `test-…`
 * tasks are removed. Each phase's duration is printed.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import type { TestProject } from 'vitest/node'
import { checkDocker, createDockerClient } from '../../src/main/docker/client'
import { agentImageTag, ensureAgentImage, imageExists } from '../../src/main/docker/image'
import { TASK_LABEL } from '../../src/main/docker/sandbox'
import { forceRemoveContainer } from '../../src/main/docker/task-containers'
import { collectCaBundle } from '../../src/main/network/ca-bundle'
import { toErrorData } from '../../src/main/errors'
import { DOCKER_REQUIRED, type TestImageState } from './docker'

const LOCAL_BASE = 'codex-sys/debian-base:bookworm'
const PUBLIC_BASE = 'debian:bookworm-slim'
const contextDir = fileURLToPath(new URL('../../agent-image', import.meta.url))

/** Times each phase of the setup and prints them on one line at the end. */
function phaseClock(): { time<T>(name: string, work: Promise<T>): Promise<T>; report(): void } {
  const phases: string[] = []
  const started = Date.now()
  return {
    async time(name, work) {
      const at = Date.now()
      const value = await work
      phases.push(`${name} ${Date.now() - at} ms`)
      return value
    },
    report: () => console.log(`[global-setup] ${phases.join(', ')}; total ${Date.now() - started} ms`),
  }
}

/**
 * The image builds of this vitest process, by tag, on `globalThis`: each project runs this setup in its
 * own module graph, and every project waits for the same one build.
 */
const builds: Map<string, Promise<void>> = ((
  globalThis as { codexTestImageBuilds?: Map<string, Promise<void>> }
).codexTestImageBuilds ??= new Map())

/** Where the tests of this run read whether the image is there (`{ ready }` or `{ error }`). */
const stateFile = (tag: string): string =>
  join(tmpdir(), `codex-test-image-${process.pid}-${tag.replace(/[^A-Za-z0-9.-]/g, '_')}.json`)

/** Written whole (a temporary file renamed), so a test never reads half of it. */
function writeState(tag: string, state: TestImageState): void {
  const file = stateFile(tag)
  writeFileSync(`${file}.tmp`, JSON.stringify(state))
  renameSync(`${file}.tmp`, file)
}

function buildInBackground(docker: Docker, tag: string, baseImage: string, caBundle: string): Promise<void> {
  const write = (state: TestImageState): void => writeState(tag, state)
  const started = Date.now()
  const build = ensureAgentImage(docker, {
    contextDir,
    baseImage,
    caBundle,
    onProgress: (line, ratio) => {
      const pct = ratio === undefined ? '' : ` ${Math.round(ratio * 100)}%`
      console.log(`[agent image${pct}] ${line}`)
    },
  }).then(
    () => {
      console.log(
        `[global-setup] agent image ${tag} built in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      )
      write({ ready: tag })
    },
    (err: unknown) => {
      const data = toErrorData(err)
      const lines = Array.isArray(data.details?.lastLines) ? `\n${data.details.lastLines.join('\n')}` : ''
      const hint = data.hint ? `\n${data.hint}` : ''
      write({ error: `Could not build the agent image for the tests: ${data.message}${hint}${lines}` })
    },
  )
  builds.set(tag, build)
  return build
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const clock = phaseClock()
  const docker = createDockerClient()
  try {
    const engine = await clock.time('docker check', checkDocker(docker))
    console.log(`[global-setup] Docker ${engine.version} (API ${engine.apiVersion})`)
  } catch (err) {
    throw new Error(`${DOCKER_REQUIRED} (${toErrorData(err).message})`, { cause: err })
  }

  const baseImage =
    process.env.CODEX_BASE_IMAGE?.trim() ||
    ((await imageExists(docker, LOCAL_BASE)) ? LOCAL_BASE : PUBLIC_BASE)
  // Engine tests build their own agent image through defaultBaseImage(): make it this one.
  process.env.CODEX_BASE_IMAGE = baseImage
  // With the host's CA bundle, as every engine builds it (the same tag, so no test builds its own).
  const { pem: caBundle } = await clock.time('CA bundle', collectCaBundle())
  const tag = await clock.time('image tag', agentImageTag(contextDir, baseImage, caBundle))
  process.env.CODEX_TEST_IMAGE = tag
  project.provide('codexTestImage', tag)
  project.provide('codexTestBaseImage', baseImage)
  project.provide('codexTestImageState', stateFile(tag))
  const present = builds.has(tag) || (await clock.time('image lookup', imageExists(docker, tag)))
  if (!present) buildInBackground(docker, tag, baseImage, caBundle)
  else if (!builds.has(tag)) writeState(tag, { ready: tag })
  const building = present ? '' : ' (building in the background; the tests that need it wait)'
  console.log(`[global-setup] agent image ${tag} on ${baseImage}${building}`)

  await clock.time('leftover sweep', sweepLeftovers(docker))
  clock.report()
  return async () => {
    await builds.get(tag)
    rmSync(stateFile(tag), { force: true })
    await sweepLeftovers(docker)
  }
}

/** A test's container alive this long is a leftover, not another test run's (none takes that long). */
const LEFTOVER_AGE_MS = 15 * 60_000
/** A container not running yet may be another run's, created a moment ago and about to start. */
const UNSTARTED_AGE_MS = 2 * 60_000

/**
 * Removes the containers of `test-…` tasks that are left over: stopped ones older than two minutes, and
 * running ones older than every test. A test run going on beside this one (another terminal, CI) keeps
 * its live containers, and those it has just created.
 */
async function sweepLeftovers(docker: Docker): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [TASK_LABEL] } })
  const leftover = list.filter(
    (c) =>
      (c.Labels?.[TASK_LABEL] ?? '').startsWith('test-') &&
      Date.now() - c.Created * 1000 > (c.State === 'running' ? LEFTOVER_AGE_MS : UNSTARTED_AGE_MS),
  )
  const removed = await Promise.all(leftover.map((c) => forceRemoveContainer(docker, c.Id)))
  const n = removed.filter(Boolean).length
  if (n) console.log(`[global-setup] removed ${n} leftover test container(s)`)
}
