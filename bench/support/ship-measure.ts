import { randomBytes } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AGENT_OWNER, shipBack, shipIn, type Manifest } from '../../src/main/docker/workspace-ship'
import type { SandboxUser } from '../../src/main/docker/workspace-owner'
import type { BenchResult } from '../types'
import { alternate, median } from './measure'
import { dockerCli, timeShellOn, type ShipEngine } from './ship-engine'
import type { TreeStats } from './tree'

/**
 * Ship-in and ship-back on one engine, against the docker CLI doing the same copy in the same run: ship-in
 * against `tar c -C tree . | docker cp - C:/workspace` (into a created container on a fresh volume),
 * ship-back of a 10-file change against copying the whole tree out, `docker cp C:/workspace - | tar x`.
 */
export const SHIP_ROUNDS = 3

const seconds = (start: number): number => (performance.now() - start) / 1000

/** A fresh task id on the engine (its containers and volumes go when the engine stops). */
export function benchTaskId(engine: ShipEngine): string {
  const taskId = `bench-ship-${randomBytes(3).toString('hex')}`
  engine.taskIds.push(taskId)
  return taskId
}

export const volumeOf = (taskId: string): string => `codex-sys-${taskId}-workspace`

/** A created (never started) container of the agent image with `volume` at /workspace. */
export function createdContainer(engine: ShipEngine, volume: string): string {
  const id = dockerCli(engine, [
    'create',
    '--network',
    'none',
    '-v',
    `${volume}:/workspace`,
    engine.image,
    'true',
  ])
  engine.cleanups.push(() => void dockerCli(engine, ['rm', '-f', id]))
  return id
}

/** A fresh volume and a created container with it at /workspace, for the CLI's copy. */
function cliTarget(engine: ShipEngine): string {
  const volume = `codex-sys-bench-ship-${randomBytes(3).toString('hex')}`
  dockerCli(engine, ['volume', 'create', volume])
  const container = createdContainer(engine, volume)
  engine.cleanups.push(() => void dockerCli(engine, ['volume', 'rm', '-f', volume]))
  return container
}

/** Runs `script` in /workspace of `mount` (a volume or a host folder) as `user`, with no network. */
export function runInWorkspace(
  engine: ShipEngine,
  mount: string,
  script: string,
  user: SandboxUser = AGENT_OWNER,
): void {
  dockerCli(engine, [
    ...['run', '--rm', '--network', 'none', '-u', `${user.uid}:${user.gid}`],
    ...['-v', `${mount}:/workspace`, '-w', '/workspace', engine.image],
    ...['sh', '-c', script],
  ])
}

async function oursIn(engine: ShipEngine, tree: string): Promise<number> {
  const taskId = benchTaskId(engine)
  const start = performance.now()
  await shipIn(engine.docker, { taskId, volume: volumeOf(taskId), image: engine.image, hostDir: tree })
  return seconds(start)
}

/**
 * The volume after shipIn, a 10-file turn made in it, and the manifests to compare with: the one shipIn
 * returned, and the one a first (empty) ship-back returned once the files had settled — stamped, as every
 * turn after the first has it, so the helper hashes only what moved.
 */
async function turnOnVolume(engine: ShipEngine, work: string, tree: string, taskId: string) {
  const volume = volumeOf(taskId)
  const target = { taskId, volume, image: engine.image }
  const { manifest } = await shipIn(engine.docker, { ...target, hostDir: tree })
  await new Promise((resolve) => setTimeout(resolve, 2_100))
  const scratch = join(work, 'scratch')
  await mkdir(scratch)
  const stamped = (await shipBack(engine.docker, target, { manifest, hostDir: scratch })).manifest
  const files = manifest.filter((e) => e.kind === 'file').map((e) => e.path)
  const edit = [0, 1500, 3000, 4500, 6000, 7500].map((i) => `echo edit >> '${files[i]}'`)
  const script = [...edit, 'echo a > new-a.ts', 'echo b > new-b.ts', `rm '${files[9000]}' '${files[9500]}'`]
  runInWorkspace(engine, volume, script.join(' && '))
  return { volume, manifest, stamped }
}

async function oursBack(engine: ShipEngine, work: string, taskId: string, manifest: Manifest) {
  const hostDir = join(work, `back-${randomBytes(3).toString('hex')}`)
  await mkdir(hostDir)
  const target = { taskId, volume: volumeOf(taskId), image: engine.image }
  const start = performance.now()
  const back = await shipBack(engine.docker, target, { manifest, hostDir })
  const took = seconds(start)
  if (back.changed.length + back.deleted.length !== 10) throw new Error('ship-back did not bring 10 entries')
  await rm(hostDir, { recursive: true, force: true })
  return took
}

async function measureShipBack(engine: ShipEngine, work: string, tree: string) {
  const taskId = benchTaskId(engine)
  const { volume, manifest, stamped } = await turnOnVolume(engine, work, tree, taskId)
  const times = { base: [] as number[], first: [] as number[], later: [] as number[] }
  for (let round = 0; round < SHIP_ROUNDS; round++) {
    const dest = join(work, `cli-${round}`)
    await mkdir(dest)
    const reader = createdContainer(engine, volume)
    times.base.push(timeShellOn(engine, `docker cp ${reader}:/workspace - | tar x -C '${dest}'`))
    times.first.push(await oursBack(engine, work, taskId, manifest))
    times.later.push(await oursBack(engine, work, taskId, stamped))
    await rm(dest, { recursive: true, force: true })
  }
  return times
}

/** The three shipping results on `engine`; work files under `work` (made afresh). */
export async function measureShipping(
  engine: ShipEngine,
  work: string,
  tree: string,
  stats: TreeStats,
): Promise<BenchResult[]> {
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const inTimes = await alternate(
    SHIP_ROUNDS,
    () => timeShellOn(engine, `tar c -C '${tree}' . | docker cp - ${cliTarget(engine)}:/workspace`),
    () => oursIn(engine, tree),
  )
  const back = await measureShipBack(engine, work, tree)
  const files = stats.files.toLocaleString('en-US')
  const mb = (stats.bytes / 1e6).toFixed(0)
  const backResult = (name: string, ours: number[], note: string): BenchResult => ({
    name,
    baseline: 'docker cp C:/workspace - | tar x (the whole tree)',
    ours: median(ours),
    base: median(back.base),
    ratio: median(ours) / median(back.base),
    target: 1.0,
    note: `median of ${SHIP_ROUNDS}; ${note}`,
  })
  return [
    {
      name: `ship-in ${files} files, ${mb} MB (${engine.label})`,
      baseline: 'tar c | docker cp - C:/workspace',
      ...inTimes,
      target: 1.5,
      note: `median of ${SHIP_ROUNDS}; ours includes the walk, hashing, the volume and its helper container`,
    },
    backResult(
      `ship-back of a 10-file change (${engine.label})`,
      back.first,
      `first turn: ours hashes all ${files} files in a helper container`,
    ),
    backResult(
      `ship-back of a 10-file change, a later turn (${engine.label})`,
      back.later,
      'files stamped by the turn before: only the changed ones are hashed',
    ),
  ]
}
