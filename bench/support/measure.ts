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

/** Writes dirty pages out, so that one timed run does not pay for the writeback of the one before. */
export function flushDisk(): void {
  spawnSync('sync')
}

/**
 * Runs baseline and ours alternately `rounds` times, with the disk flushed before each run, and returns
 * the medians and the median of the per-round ratios: drift in the machine's state (page cache, writeback,
 * a churned filesystem) falls on both alike, and one slow round does not decide the ratio.
 */
export async function alternate(
  rounds: number,
  baseline: (round: number) => Promise<number> | number,
  ours: (round: number) => Promise<number>,
): Promise<{ base: number; ours: number; ratio: number }> {
  const bases: number[] = []
  const ourTimes: number[] = []
  const timeBase = async (round: number): Promise<void> => {
    flushDisk()
    bases.push(await baseline(round))
  }
  const timeOurs = async (round: number): Promise<void> => {
    flushDisk()
    ourTimes.push(await ours(round))
  }
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await timeBase(round)
      await timeOurs(round)
    } else {
      await timeOurs(round)
      await timeBase(round)
    }
  }
  const ratios = ourTimes.map((t, i) => t / bases[i]!)
  return { base: median(bases), ours: median(ourTimes), ratio: median(ratios) }
}

/** Free space on the filesystem holding `dir`, in GiB (benchmarks say what they ran on). */
export function freeGiB(dir: string): number {
  const s = statfsSync(dir)
  return (s.bavail * s.bsize) / 1024 ** 3
}
