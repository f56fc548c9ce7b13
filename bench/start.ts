import { spawnSync } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { checkDocker, createDockerClient } from '../src/main/docker/client'
import { defaultBaseImage, ensureAgentImage, imageExists } from '../src/main/docker/image'
import { giveWorkspaceTo, Sandbox, sandboxUser } from '../src/main/docker/sandbox'
import { alternate, median, timeCommand } from './support/measure'
import { makeTree } from './support/tree'
import type { BenchResult } from './types'

const ROUNDS = 5
const FILES = 2_000
const LOCAL_BASE = 'codex-sys/debian-base:bookworm'

interface Phases {
  own: number[]
  create: number[]
  exec: number[]
}

/** One task start, timed: hand over the workspace, create + start the container, run the first tool call. */
async function startTask(
  docker: Docker,
  image: string,
  workspace: string,
  network: boolean,
  phases: Phases,
): Promise<number> {
  // Hand the workspace back to root (untimed), as a fresh import leaves it.
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', '0:0', workspace])
  const t0 = performance.now()
  await giveWorkspaceTo(workspace, sandboxUser())
  const t1 = performance.now()
  const sandbox = await Sandbox.create(docker, {
    taskId: `bench-start-${Date.now()}`,
    image,
    workspace,
    memoryMb: 4096,
    cpus: 2,
    pidsLimit: 1024,
    tmpfsMb: 1024,
    network,
  })
  const t2 = performance.now()
  let t3: number
  try {
    const result = await sandbox.exec(['codex-tool'], {
      stdin: JSON.stringify({ op: 'read', path: 'README.md' }),
      timeoutMs: 60_000,
    })
    t3 = performance.now()
    if (!result.stdout.startsWith('{')) {
      throw new Error(`codex-tool failed (exit ${result.exitCode}): ${result.stderr.slice(0, 200)}`)
    }
  } finally {
    // Cleanup, not start-up: not timed.
    await sandbox.remove().catch(() => undefined)
  }
  phases.own.push((t1 - t0) / 1000)
  phases.create.push((t2 - t1) / 1000)
  phases.exec.push((t3 - t2) / 1000)
  return (t3 - t0) / 1000
}

/**
 * Task start overhead: workspace ready → the agent's first tool call executed in the container
 * (giveWorkspaceTo + Sandbox.create + one `codex-tool` read over `docker exec`), against a bare
 * `docker run --rm IMAGE true` of the same image on the CLI. Target ≤ 1.5×. Measured without network
 * (the agent phase) and on the default bridge (a setup phase), each against the same baseline.
 */
export default async function run(
  workDir = fileURLToPath(new URL('./.work', import.meta.url)),
): Promise<BenchResult[]> {
  const docker = createDockerClient()
  await checkDocker(docker)
  const baseImage =
    process.env.CODEX_BASE_IMAGE?.trim() ||
    ((await imageExists(docker, LOCAL_BASE)) ? LOCAL_BASE : defaultBaseImage())
  const contextDir = fileURLToPath(new URL('../agent-image', import.meta.url))
  const image = await ensureAgentImage(docker, {
    contextDir,
    baseImage,
    onProgress: (l) => console.log(`  ${l}`),
  })

  const dir = join(workDir, 'start')
  await rm(dir, { recursive: true, force: true })
  const workspace = join(dir, 'workspace')
  await makeTree(workspace, { files: FILES })
  const baseline = (): number => timeCommand('docker', ['run', '--rm', image, 'true'])

  // Warm both paths once (image layers in the page cache, the CLI binary, the API connection).
  baseline()
  await startTask(docker, image, workspace, false, { own: [], create: [], exec: [] })

  const results: BenchResult[] = []
  for (const network of [false, true]) {
    const phases: Phases = { own: [], create: [], exec: [] }
    const { base, ours, ratio } = await alternate(ROUNDS, baseline, () =>
      startTask(docker, image, workspace, network, phases),
    )
    const ms = (list: number[]): string => (median(list) * 1000).toFixed(0)
    results.push({
      name: `task start overhead (${FILES.toLocaleString('en-US')}-file workspace, ${network ? 'bridge network' : 'no network'})`,
      baseline: 'docker run --rm IMAGE true',
      ours,
      base,
      ratio,
      target: 1.5,
      note:
        `median of ${ROUNDS}; chown ${ms(phases.own)} ms, create+start ${ms(phases.create)} ms, ` +
        `first codex-tool exec ${ms(phases.exec)} ms`,
    })
  }
  await rm(dir, { recursive: true, force: true })
  return results
}
