/**
 * Shipping a workspace into a Docker volume and bringing a turn's changes back (issue 15), on the
 * 10,000-file bench tree, against the Docker CLI doing the same copy in the same run: ship-in against
 * `tar c -C tree . | docker cp - C:/workspace` (into a created container on a fresh volume), ship-back of
 * a 10-file change against copying the whole tree out, `docker cp C:/workspace - | tar x`. On the local
 * engine for now (the remote engine's harness comes with the engines work).
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type Docker from 'dockerode'
import { removeVolume, shipBack, shipIn, type Manifest } from '../src/main/docker/workspace-ship'
import { alternate, median } from './support/measure'
import { makeTree } from './support/tree'
import { benchDocker } from './support/agent-image'
import type { BenchResult } from './types'

const FILES = 10_000
const ROUNDS = 3

function run(cmd: string, args: string[]): string {
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr}`)
  return result.stdout.trim()
}

/** A fresh volume and a created (never started) container of the image with it at /workspace. */
function cliTarget(image: string, tag: string): { volume: string; container: string; remove: () => void } {
  const volume = `codex-sys-bench-ship-${tag}`
  run('docker', ['volume', 'create', volume])
  const container = run('docker', [
    'create',
    '--network',
    'none',
    '-v',
    `${volume}:/workspace`,
    image,
    'true',
  ])
  return {
    volume,
    container,
    remove: () => {
      spawnSync('docker', ['rm', '-f', container])
      spawnSync('docker', ['volume', 'rm', '-f', volume])
    },
  }
}

const seconds = (start: number): number => (performance.now() - start) / 1000

function timeShell(script: string): number {
  const start = performance.now()
  run('sh', ['-c', script])
  return seconds(start)
}

async function oursIn(docker: Docker, image: string, tree: string, taskIds: string[]): Promise<number> {
  const taskId = `bench-ship-${randomBytes(3).toString('hex')}`
  taskIds.push(taskId)
  const start = performance.now()
  await shipIn(docker, { taskId, volume: `codex-sys-${taskId}-workspace`, image, hostDir: tree })
  return seconds(start)
}

/**
 * The volume after shipIn, a 10-file turn made in it, and the manifests to compare with: the one shipIn
 * returned, and the one a first (empty) ship-back returned once the files had settled — stamped, as every
 * turn after the first has it, so the helper hashes only what moved.
 */
async function turnOnVolume(docker: Docker, image: string, work: string, tree: string, taskId: string) {
  const volume = `codex-sys-${taskId}-workspace`
  const { manifest } = await shipIn(docker, { taskId, volume, image, hostDir: tree })
  await new Promise((resolve) => setTimeout(resolve, 2_100))
  const scratch = join(work, 'scratch')
  await mkdir(scratch)
  const stamped = (await shipBack(docker, { taskId, volume, image }, { manifest, hostDir: scratch })).manifest
  const files = manifest.filter((e) => e.kind === 'file').map((e) => e.path)
  const edit = [0, 1500, 3000, 4500, 6000, 7500].map((i) => `echo edit >> '${files[i]}'`)
  const script = [...edit, 'echo a > new-a.ts', 'echo b > new-b.ts', `rm '${files[9000]}' '${files[9500]}'`]
  run('docker', [
    'run',
    '--rm',
    '--network',
    'none',
    '-u',
    '10001:10001',
    '-v',
    `${volume}:/workspace`,
    '-w',
    '/workspace',
    image,
    'sh',
    '-c',
    script.join(' && '),
  ])
  return { volume, manifest, stamped }
}

async function oursBack(docker: Docker, image: string, work: string, taskId: string, manifest: Manifest) {
  const hostDir = join(work, `back-${randomBytes(3).toString('hex')}`)
  await mkdir(hostDir)
  const volume = `codex-sys-${taskId}-workspace`
  const start = performance.now()
  const back = await shipBack(docker, { taskId, volume, image }, { manifest, hostDir })
  const took = seconds(start)
  if (back.changed.length + back.deleted.length !== 10) throw new Error('ship-back did not bring 10 entries')
  await rm(hostDir, { recursive: true, force: true })
  return took
}

export default async function bench(
  workDir = fileURLToPath(new URL('./.work', import.meta.url)),
): Promise<BenchResult[]> {
  const { docker, image } = await benchDocker()
  const work = join(workDir, 'ship')
  await rm(work, { recursive: true, force: true })
  const tree = join(work, 'tree')
  const stats = await makeTree(tree, { files: FILES })
  const taskIds: string[] = []
  const cleanups: Array<() => void> = []
  try {
    const inTimes = await alternate(
      ROUNDS,
      () => {
        const target = cliTarget(image, randomBytes(3).toString('hex'))
        cleanups.push(target.remove)
        return timeShell(`tar c -C '${tree}' . | docker cp - ${target.container}:/workspace`)
      },
      () => oursIn(docker, image, tree, taskIds),
    )
    const taskId = `bench-ship-${randomBytes(3).toString('hex')}`
    taskIds.push(taskId)
    const { volume, manifest, stamped } = await turnOnVolume(docker, image, work, tree, taskId)
    const out = cliTarget(image, randomBytes(3).toString('hex'))
    cleanups.push(out.remove)
    const backBase: number[] = []
    const backOurs: number[] = []
    const backStamped: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const dest = join(work, `cli-${round}`)
      await mkdir(dest)
      const reader = run('docker', [
        'create',
        '--network',
        'none',
        '-v',
        `${volume}:/workspace`,
        image,
        'true',
      ])
      cleanups.push(() => spawnSync('docker', ['rm', '-f', reader]))
      backBase.push(timeShell(`docker cp ${reader}:/workspace - | tar x -C '${dest}'`))
      backOurs.push(await oursBack(docker, image, work, taskId, manifest))
      backStamped.push(await oursBack(docker, image, work, taskId, stamped))
    }
    const mb = (stats.bytes / 1e6).toFixed(0)
    return [
      {
        name: `workspace ship-in (${FILES.toLocaleString('en-US')} files, ${mb} MB, local engine)`,
        baseline: 'tar c | docker cp - C:/workspace',
        ours: inTimes.ours,
        base: inTimes.base,
        ratio: inTimes.ratio,
        target: 1.5,
        note: `median of ${ROUNDS}; ours includes the walk, hashing, the volume and its helper container`,
      },
      {
        name: 'workspace ship-back of a 10-file change (local engine)',
        baseline: 'docker cp C:/workspace - | tar x (the whole tree)',
        ours: median(backOurs),
        base: median(backBase),
        ratio: median(backOurs) / median(backBase),
        target: 1.0,
        note: `median of ${ROUNDS}; first turn: ours hashes all ${FILES.toLocaleString('en-US')} files in a helper container`,
      },
      {
        name: 'workspace ship-back of a 10-file change, a later turn (local engine)',
        baseline: 'docker cp C:/workspace - | tar x (the whole tree)',
        ours: median(backStamped),
        base: median(backBase),
        ratio: median(backStamped) / median(backBase),
        target: 1.0,
        note: `median of ${ROUNDS}; files stamped by the turn before: only the changed ones are hashed`,
      },
    ]
  } finally {
    for (const cleanup of cleanups) cleanup()
    for (const id of taskIds) {
      spawnSync('docker', [
        'rm',
        '-f',
        ...run('docker', ['ps', '-aq', '--filter', `label=codex-sys.task=${id}`])
          .split('\n')
          .filter(Boolean),
      ])
      await removeVolume(docker, `codex-sys-${id}-workspace`).catch(() => undefined)
    }
  }
}
