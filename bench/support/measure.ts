import { spawnSync } from 'node:child_process'
import { statfsSync } from 'node:fs'

/** Median of the values. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Seconds taken by an async function. */
export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return (performance.now() - start) / 1000
}

/** Seconds taken by a command (spawned synchronously); throws when it fails. */
export function timeCommand(cmd: string, args: string[], opts: { cwd?: string } = {}): number {
  const start = performance.now()
  const result = spawnSync(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  const seconds = (performance.now() - start) / 1000
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${result.stderr?.toString()}`)
  return seconds
}

/**
 * Runs baseline and ours alternately `rounds` times and returns the medians, so that drift in the
 * machine's state (page cache, a churned filesystem) falls on both alike.
 */
export async function alternate(
  rounds: number,
  baseline: (round: number) => Promise<number> | number,
  ours: (round: number) => Promise<number>,
): Promise<{ base: number; ours: number }> {
  const bases: number[] = []
  const ourTimes: number[] = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      bases.push(await baseline(round))
      ourTimes.push(await ours(round))
    } else {
      ourTimes.push(await ours(round))
      bases.push(await baseline(round))
    }
  }
  return { base: median(bases), ours: median(ourTimes) }
}

/** Free space on the filesystem holding `dir`, in GiB (benchmarks say what they ran on). */
export function freeGiB(dir: string): number {
  const s = statfsSync(dir)
  return (s.bavail * s.bsize) / 1024 ** 3
}
