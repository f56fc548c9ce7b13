import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { importFolder } from '../src/main/sources/folder'
import { alternate, timeCommand, timeIt } from './support/measure'
import { makeTree } from './support/tree'
import type { BenchResult } from './types'

const FILES = 10_000
const ROUNDS = 7

/** Folder import of a 10,000-file tree against `cp -r` of the same files (target ≤ 1.2×). */
export default async function run(workDir: string): Promise<BenchResult[]> {
  const dir = join(workDir, 'folder')
  await rm(dir, { recursive: true, force: true })
  const source = join(dir, 'source')
  const stats = await makeTree(source, { files: FILES })
  // Fresh destinations each round, removed only at the end: deletes churn the disk and slow later copies.
  const { base, ours, ratio } = await alternate(
    ROUNDS,
    (round) => timeCommand('cp', ['-r', source, join(dir, `cp-${round}`)]),
    (round) => timeIt(() => importFolder({ source, dest: join(dir, `ours-${round}`) })),
  )
  await rm(dir, { recursive: true, force: true })
  return [
    {
      name: `folder import, ${stats.files.toLocaleString('en-US')} files`,
      baseline: 'cp -r',
      ours,
      base,
      ratio,
      target: 1.2,
      note: `${(stats.bytes / 1024 ** 2).toFixed(0)} MiB, median of ${ROUNDS} alternating rounds (ratio: median of per-round ratios), disk flushed before each`,
    },
  ]
}
