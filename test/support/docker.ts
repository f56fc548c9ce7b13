import { readFile } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { inject } from 'vitest'
import { checkDocker, createDockerClient } from '../../src/main/docker/client'
import { toErrorData } from '../../src/main/errors'

declare module 'vitest' {
  export interface ProvidedContext {
    codexTestImage: string
    codexTestBaseImage: string
    /** The file global-setup.ts writes a TestImageState to once the agent image is there (or failed). */
    codexTestImageState: string
  }
}

/** Whether the agent image of the run is there: its tag, or why it could not be built. */
export type TestImageState = { ready: string } | { error: string }

/** How long a test file waits for the agent image the global setup builds in the background. */
const IMAGE_WAIT_MS = 15 * 60_000
const IMAGE_POLL_MS = 200

/**
 * Resolves once the agent image of the run is there; throws with the build's error when it failed, or
 * after IMAGE_WAIT_MS. Outside a vitest project with the global setup, there is nothing to wait for.
 */
export async function waitForTestImage(): Promise<void> {
  let file: string | undefined
  try {
    file = inject('codexTestImageState')
  } catch {
    file = undefined
  }
  if (!file) return
  const deadline = Date.now() + IMAGE_WAIT_MS
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => undefined)
    const state = text ? (JSON.parse(text) as TestImageState) : undefined
    if (state && 'error' in state) throw new Error(state.error)
    if (state) return
    if (Date.now() > deadline) {
      throw new Error(`The agent image was not built within ${IMAGE_WAIT_MS / 60_000} minutes.`)
    }
    await new Promise((resolve) => setTimeout(resolve, IMAGE_POLL_MS))
  }
}

export const DOCKER_REQUIRED =
  'A running Docker engine is required for the integration tests. Start one with `scripts/start-docker.sh` ' +
  '(as root; runs dockerd) or `sudo systemctl start docker`, then run the tests again.'

let cached: Promise<Docker> | undefined

/** A client for a Docker engine that answers; throws (the test fails, never skips) when there is none. */
export function requireDocker(): Promise<Docker> {
  cached ??= (async () => {
    const docker = createDockerClient()
    try {
      await checkDocker(docker)
    } catch (err) {
      cached = undefined
      throw new Error(`${DOCKER_REQUIRED} (${toErrorData(err).message})`, { cause: err })
    }
    return docker
  })()
  return cached
}

function provided(key: 'codexTestImage' | 'codexTestBaseImage', env: string): string {
  let value: string | undefined
  try {
    value = inject(key)
  } catch {
    value = undefined
  }
  value ||= process.env[env]
  if (!value) {
    throw new Error(
      'No test image: run integration tests through vitest (test/support/global-setup.ts builds it).',
    )
  }
  return value
}

/** The agent image tag the integration global setup built (or found). */
export const testImage = (): string => provided('codexTestImage', 'CODEX_TEST_IMAGE')

/** The base image that agent image was built on, so an engine under test computes the same tag. */
export const testBaseImage = (): string => provided('codexTestBaseImage', 'CODEX_BASE_IMAGE')

/** The engine's unix socket (DOCKER_HOST when it names one, else the usual path). */
export function engineSocketPath(): string {
  const host = process.env.DOCKER_HOST
  return host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock'
}

/**
 * A unix-socket relay in front of the real engine: point DOCKER_HOST at `socketPath`, then `cut()` to
 * make the engine "die" for that client (every connection dropped, the socket gone) without touching
 * the shared daemon.
 */
export async function startEngineRelay(
  dir: string,
): Promise<{ socketPath: string; cut: () => Promise<void> }> {
  const socketPath = join(dir, 'relay.sock')
  const target = engineSocketPath()
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(target)
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    socketPath,
    cut: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    },
  }
}
