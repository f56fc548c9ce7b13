import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { removeVolume, shipBack, shipIn } from '../../src/main/docker/workspace-ship'
import { giveWorkspaceTo, sandboxUser, type SandboxUser } from '../../src/main/docker/workspace-owner'
import type { BenchResult } from '../types'
import { alternate, flushDisk, median } from './measure'
import type { ShipEngine } from './ship-engine'
import { benchTaskId, runInWorkspace, SHIP_ROUNDS, volumeOf } from './ship-measure'

/**
 * "Copy, don't mount" on a local engine (issue 15): a tool-heavy agent turn's work on the bench tree,
 * bind-mounted as mount mode has it, against copy mode doing the same work on a volume — ship-in, the
 * work, ship-back of what it wrote, the volume removed. Both run the work in one `docker run --rm` as the
 * sandbox user with no network, each round on a fresh host copy of the tree (made untimed).
 */
const NOTES = 500

/** Searches, stat walks (what `git status` does), reading every file, then 500 small writes. */
export const TOOL_HEAVY_WORK = [
  "for i in 1 2 3; do rg -n 'return' . > /dev/null || [ $? -eq 1 ]; done",
  "for i in 1 2 3; do find . -printf '%s %T@ %m %p\\n' > /dev/null; done",
  'find . -type f -print0 | xargs -0 cat > /dev/null',
  `mkdir .agent-notes && i=0 && while [ $i -lt ${NOTES} ]; do echo "note $i" > .agent-notes/n-$i.txt; i=$((i+1)); done`,
].join(' && ')

const seconds = (start: number): number => (performance.now() - start) / 1000

/** A fresh copy of the tree for one round, handed to the sandbox user as mount mode does. */
async function hostCopy(tree: string, dest: string, user: SandboxUser): Promise<string> {
  const result = spawnSync('cp', ['-a', tree, dest], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`cp -a ${tree} ${dest} failed: ${result.stderr}`)
  await giveWorkspaceTo(dest, user)
  // The copy's writeback done before the clock starts: else it lands on whichever mode runs first.
  flushDisk()
  return dest
}

/** The work found its way to the host's copy (bind mount, or brought back). */
function checkNotesOnHost(dir: string, mode: string): void {
  if (!existsSync(join(dir, '.agent-notes', `n-${NOTES - 1}.txt`))) {
    throw new Error(`${mode}: the ${NOTES} files the work wrote are not in ${dir}`)
  }
}

interface CopyParts {
  shipIn: number[]
  work: number[]
  shipBack: number[]
  removal: number[]
}

async function copyModeTurn(engine: ShipEngine, dir: string, user: SandboxUser, parts: CopyParts) {
  const taskId = benchTaskId(engine)
  const target = { taskId, volume: volumeOf(taskId), image: engine.image, owner: user }
  const start = performance.now()
  const { manifest } = await shipIn(engine.docker, { ...target, hostDir: dir })
  const shipped = performance.now()
  runInWorkspace(engine, target.volume, TOOL_HEAVY_WORK, user)
  const worked = performance.now()
  const back = await shipBack(engine.docker, target, { manifest, hostDir: dir })
  const brought = performance.now()
  await removeVolume(engine.docker, target.volume)
  parts.shipIn.push((shipped - start) / 1000)
  parts.work.push((worked - shipped) / 1000)
  parts.shipBack.push((brought - worked) / 1000)
  parts.removal.push(seconds(brought))
  if (back.changed.length < NOTES) throw new Error(`copy mode brought back ${back.changed.length} entries`)
  checkNotesOnHost(dir, 'copy mode')
  return seconds(start)
}

/** The mount-vs-copy result on a local engine; host copies under `work` (made afresh). */
export async function measureMountVsCopy(
  engine: ShipEngine,
  work: string,
  tree: string,
): Promise<BenchResult> {
  await rm(work, { recursive: true, force: true })
  await mkdir(work, { recursive: true })
  const user = sandboxUser()
  const parts: CopyParts = { shipIn: [], work: [], shipBack: [], removal: [] }
  const times = await alternate(
    SHIP_ROUNDS,
    async (round) => {
      const dir = await hostCopy(tree, join(work, `mount-${round}`), user)
      const start = performance.now()
      runInWorkspace(engine, dir, TOOL_HEAVY_WORK, user)
      const took = seconds(start)
      checkNotesOnHost(dir, 'mount mode')
      await rm(dir, { recursive: true, force: true })
      return took
    },
    async (round) => {
      const dir = await hostCopy(tree, join(work, `copy-${round}`), user)
      const took = await copyModeTurn(engine, dir, user, parts)
      await rm(dir, { recursive: true, force: true })
      return took
    },
  )
  const part = (values: number[]): string => median(values).toFixed(2)
  return {
    name: `a tool-heavy turn in copy mode vs bind-mounted (${engine.label})`,
    baseline: 'the same work on a bind mount (measurement only)',
    ...times,
    // No target: on Linux a bind mount costs nothing, so mount stays the default there; this is the price.
    target: Infinity,
    note:
      `median of ${SHIP_ROUNDS}; rg ×3, stat walk ×3, cat every file, ${NOTES} writes; copy = ship-in ` +
      `${part(parts.shipIn)} s + work ${part(parts.work)} s + ship-back ` +
      `${part(parts.shipBack)} s + volume removal ${part(parts.removal)} s. Linux binds cost nothing, so this is copy mode's price; on Docker Desktop ` +
      'binds cross the VM (see bench/ship.ts for the published figures)',
  }
}
