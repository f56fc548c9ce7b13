import { spawnSync } from 'node:child_process'
import type Docker from 'dockerode'
import { createRemoteDockerClient } from '../../src/main/docker/client'
import { transferImage } from '../../src/main/docker/image-transfer'
import { removeTaskContainers } from '../../src/main/docker/task-containers'
import { removeTaskVolumes } from '../../src/main/docker/workspace-ship'
import { startRemoteEngine } from '../../test/support/remote-engine'
import { benchBaseImage } from './agent-image'

/**
 * A Docker engine the shipping benchmarks run on: the app's client for it, the agent image there, and the
 * environment the docker CLI needs to reach the same engine (the baselines are CLI pipes). The local engine
 * needs none; a remote one is DOCKER_HOST with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH.
 */
export interface ShipEngine {
  /** For the results' names: "local engine", "remote TLS". */
  label: string
  docker: Docker
  image: string
  cliEnv: Record<string, string>
  /** Task ids whose containers and volumes `stop` removes. */
  taskIds: string[]
  /** Things to undo on the engine (CLI-made containers, volumes), run by `stop` first. */
  cleanups: Array<() => void>
  stop(): Promise<void>
}

/** The docker CLI against the engine; throws with its stderr when it fails. */
export function dockerCli(engine: ShipEngine, args: string[]): string {
  const result = spawnSync('docker', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, ...engine.cliEnv },
  })
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout.trim()
}

/** Seconds a shell pipeline takes, with the CLI pointed at the engine; throws when it fails. */
export function timeShellOn(engine: ShipEngine, script: string): number {
  const start = performance.now()
  const result = spawnSync('sh', ['-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, ...engine.cliEnv },
  })
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`)
  return (performance.now() - start) / 1000
}

async function removeLeftovers(engine: ShipEngine): Promise<void> {
  for (const cleanup of engine.cleanups.splice(0)) {
    try {
      cleanup()
    } catch {
      // Gone already, or the engine with it: nothing left to undo.
    }
  }
  for (const taskId of engine.taskIds.splice(0)) {
    await removeTaskContainers(engine.docker, { taskId }).catch(() => undefined)
    await removeTaskVolumes(engine.docker, taskId).catch(() => undefined)
  }
}

/** The machine's own engine, with the agent image already on it. */
export function localShipEngine(docker: Docker, image: string): ShipEngine {
  const engine: ShipEngine = {
    label: 'local engine',
    docker,
    image,
    cliEnv: {},
    taskIds: [],
    cleanups: [],
    stop: () => removeLeftovers(engine),
  }
  return engine
}

/**
 * A Docker-in-Docker engine of the benchmark's own (test/support/remote-engine.ts) reached over TLS, with
 * the agent image copied there from the local engine. `stop` removes the engine, its volume and all in it;
 * a failure while starting or copying removes it too.
 */
export async function remoteShipEngine(local: Docker, image: string): Promise<ShipEngine> {
  const started = performance.now()
  const remote = await startRemoteEngine({ docker: local, baseImage: await benchBaseImage(local) })
  try {
    const docker = createRemoteDockerClient({ host: remote.tcpHost, certDir: remote.certDir })
    await transferImage(local, docker, image)
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(`  remote engine at ${remote.tcpHost} up, agent image copied there in ${seconds} s`)
    const engine: ShipEngine = {
      label: 'remote TLS',
      docker,
      image,
      cliEnv: { DOCKER_HOST: remote.tcpHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: remote.certDir },
      taskIds: [],
      cleanups: [],
      stop: async () => {
        await removeLeftovers(engine).catch(() => undefined)
        await remote.stop()
      },
    }
    return engine
  } catch (err) {
    await remote.stop()
    throw err
  }
}
