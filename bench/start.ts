import { spawnSync } from 'node:child_process'
import { chmod, mkdir, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { giveWorkspaceTo, Sandbox, sandboxUser, type SandboxNetwork } from '../src/main/docker/sandbox'
import { alternate, median, timeCommand, timeIt } from './support/measure'
import { makeTree } from './support/tree'
import { benchDocker } from './support/agent-image'
import type { BenchResult } from './types'

const ROUNDS = 5
const PROXIED_ROUNDS = 9
const FILES = 2_000

interface Phases {
  own: number[]
  create: number[]
  exec: number[]
}

const spec = (image: string, workspace: string, network: SandboxNetwork) => ({
  taskId: `bench-start-${Date.now()}`,
  image,
  workspace,
  memoryMb: 4096,
  cpus: 2,
  pidsLimit: 1024,
  tmpfsMb: 1024,
  network,
})

/** A started sandbox, ready for its first command: created, started, and (proxied) its relay up. */
async function startSandbox(docker: Docker, image: string, workspace: string, network: SandboxNetwork) {
  const sandbox = await Sandbox.create(docker, spec(image, workspace, network))
  if (network.kind === 'proxied') await sandbox.startRelay()
  return sandbox
}

/**
 * A socket directory whose proxy.sock takes connections and closes them: the start-up benches never
 * send anything through it (the throughput bench, bench/relay.ts, does).
 */
async function idleNetDir(dir: string): Promise<{ netDir: string; server: Server }> {
  const netDir = join(dir, 'net')
  await mkdir(netDir, { recursive: true })
  await chmod(netDir, 0o755)
  const server = createServer((sock) => sock.destroy())
  await new Promise<void>((resolve) => server.listen(join(netDir, 'proxy.sock'), resolve))
  await chmod(join(netDir, 'proxy.sock'), 0o666)
  return { netDir, server }
}

const NETWORK_LABELS: Record<SandboxNetwork['kind'], string> = {
  none: 'no network',
  proxied: 'proxied network, relay up',
  full: 'full network',
}

/** One task start, timed: hand over the workspace, create + start the container, run the first tool call. */
async function startTask(
  docker: Docker,
  image: string,
  workspace: string,
  network: SandboxNetwork,
  phases: Phases,
): Promise<number> {
  // Hand the workspace back to root (untimed), as a fresh import leaves it.
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', '0:0', workspace])
  const t0 = performance.now()
  await giveWorkspaceTo(workspace, sandboxUser())
  const t1 = performance.now()
  const sandbox = await startSandbox(docker, image, workspace, network)
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
 * (giveWorkspaceTo + Sandbox.create [+ startRelay] + one `codex-tool` read over `docker exec`), against
 * a bare `docker run --rm IMAGE true` of the same image on the CLI. Target ≤ 1.5×. Measured for each
 * network (none: off; proxied: registries/custom; full), each against the same baseline. Then the extra
 * cost of a proxied sandbox: create + start + relay ready, against create + start with no network.
 * Target ≤ 1.3×.
 */
export default async function run(
  workDir = fileURLToPath(new URL('./.work', import.meta.url)),
): Promise<BenchResult[]> {
  const { docker, image } = await benchDocker()

  const dir = join(workDir, 'start')
  await rm(dir, { recursive: true, force: true })
  const workspace = join(dir, 'workspace')
  await makeTree(workspace, { files: FILES })
  const baseline = (): number => timeCommand('docker', ['run', '--rm', image, 'true'])

  const { netDir, server } = await idleNetDir(dir)
  const proxied: SandboxNetwork = { kind: 'proxied', netDir }
  const networks: SandboxNetwork[] = [{ kind: 'none' }, proxied, { kind: 'full' }]

  // Warm every path once (image layers in the page cache, the CLI binary, the API connection, the network).
  baseline()
  for (const network of networks) {
    await startTask(docker, image, workspace, network, { own: [], create: [], exec: [] })
  }

  const results: BenchResult[] = []
  for (const network of networks) {
    const phases: Phases = { own: [], create: [], exec: [] }
    const { base, ours, ratio } = await alternate(ROUNDS, baseline, () =>
      startTask(docker, image, workspace, network, phases),
    )
    const ms = (list: number[]): string => (median(list) * 1000).toFixed(0)
    results.push({
      name: `task start overhead (${FILES.toLocaleString('en-US')}-file workspace, ${NETWORK_LABELS[network.kind]})`,
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

  // The proxied sandbox's extra start-up: the relay, against the same start without it.
  const started = (network: SandboxNetwork) => async (): Promise<number> => {
    let sandbox: Sandbox | undefined
    const seconds = await timeIt(async () => {
      sandbox = await startSandbox(docker, image, workspace, network)
    })
    await sandbox?.remove() // cleanup, not start-up: not timed
    return seconds
  }
  const relay = await alternate(PROXIED_ROUNDS, started({ kind: 'none' }), started(proxied))
  results.push({
    name: 'proxied sandbox start-up (create + start + relay ready)',
    baseline: 'create + start with no network',
    ours: relay.ours,
    base: relay.base,
    ratio: relay.ratio,
    target: 1.3,
    note: `median of ${PROXIED_ROUNDS}; the relay adds ${((relay.ours - relay.base) * 1000).toFixed(0)} ms (medians)`,
  })
  server.close()
  await rm(dir, { recursive: true, force: true })
  return results
}
