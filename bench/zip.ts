import { spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { importZip } from '../src/main/sources/zip'
import { defaultSettings } from '../src/shared/settings'
import { alternate, timeCommand, timeIt } from './support/measure'
import { makeTree } from './support/tree'
import type { BenchResult } from './types'

const FILES = 10_000
const ROUNDS = 3
const MB = 1e6
/** The 1 GB archive: incompressible files stored, compressible ones deflated, plus a small tree. */
const RANDOM_FILES = 7
const RANDOM_SIZE = 128 << 20
const TEXT_FILES = 3
const TEXT_SIZE = 40 << 20
const RSS_BUDGET_MB = 150

export function zipDir(cwd: string, archive: string, extra: string[] = []): void {
  const r = spawnSync('zip', ['-qr', ...extra, archive, '.'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  if (r.status !== 0) throw new Error(`zip failed (is Info-ZIP installed?): ${r.stderr?.toString()}`)
}

function writeRandom(path: string, size: number): void {
  const fd = openSync(path, 'w')
  const chunk = Buffer.allocUnsafe(8 << 20)
  for (let done = 0; done < size; done += chunk.length) {
    randomFillSync(chunk)
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - done))
  }
  closeSync(fd)
}

function writeLog(path: string, size: number, seed: number): void {
  const fd = openSync(path, 'w')
  let line = 0
  for (let done = 0; done < size;) {
    const lines: string[] = []
    for (let i = 0; i < 20_000; i++, line++) {
      lines.push(
        `2025-01-0${(line % 9) + 1}T12:${line % 60}:00Z worker-${(line * seed) % 17} handled request ${line} in ${line % 997} ms`,
      )
    }
    const buf = Buffer.from(lines.join('\n') + '\n')
    writeSync(fd, buf, 0, Math.min(buf.length, size - done))
    done += buf.length
  }
  closeSync(fd)
}

/** Builds (once; cached under bench/.work) a ~1 GB archive; returns its path. */
async function bigArchive(workDir: string): Promise<string> {
  const dir = join(workDir, 'zip-1g')
  const archive = join(dir, 'big.zip')
  const stamp = `${archive}.ok`
  if (existsSync(stamp) && existsSync(archive)) return archive
  await rm(dir, { recursive: true, force: true })
  const src = join(dir, 'src')
  mkdirSync(join(src, 'assets'), { recursive: true })
  mkdirSync(join(src, 'logs'), { recursive: true })
  for (let i = 0; i < RANDOM_FILES; i++) writeRandom(join(src, 'assets', `blob-${i}.bin`), RANDOM_SIZE)
  for (let i = 0; i < TEXT_FILES; i++) writeLog(join(src, 'logs', `service-${i}.log`), TEXT_SIZE, i + 3)
  await makeTree(join(src, 'code'), { files: 2_000, seed: 7 })
  zipDir(src, archive, ['-n', '.bin']) // store the incompressible files, as zip tools do
  writeFileSync(stamp, '')
  return archive
}

/** Runs importZip in a child process; returns its time and peak RSS growth. */
export function importInChild(
  archive: string,
  dest: string,
): { seconds: number; growth: number; files: number } {
  const child = fileURLToPath(new URL('./support/zip-child.ts', import.meta.url))
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, archive, dest], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`zip child failed: ${r.stderr}`)
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
    seconds: number
    rssBefore: number
    peak: number
    files: number
  }
  return { seconds: out.seconds, growth: Math.max(0, out.peak - out.rssBefore), files: out.files }
}

/**
 * ZIP import of a 10,000-file tree against Info-ZIP `unzip -q` (target ≤ 1.5×), then a ~1 GB archive:
 * its time against `unzip -q`, and the import's peak RSS growth measured in a child process (VmHWM)
 * against a 150 MB budget.
 */
export default async function run(workDir: string): Promise<BenchResult[]> {
  const limits = defaultSettings().zip
  const dir = join(workDir, 'zip')
  const churned = existsSync(dir)
  await rm(dir, { recursive: true, force: true })
  const source = join(dir, 'source')
  const stats = await makeTree(source, { files: FILES })
  const archive = join(dir, 'tree.zip')
  zipDir(source, archive)
  const archiveMiB = statSync(archive).size / 1024 ** 2
  // Fresh destinations each round, removed only at the end: deletes churn the disk and slow later writes.
  const { base, ours, ratio } = await alternate(
    ROUNDS,
    (round) => timeCommand('unzip', ['-q', archive, '-d', join(dir, `unzip-${round}`)]),
    (round) => timeIt(() => importZip({ file: archive, dest: join(dir, `ours-${round}`), limits })),
  )
  const fsState = churned ? 'filesystem churned (an earlier run was deleted first)' : 'fresh filesystem area'
  const results: BenchResult[] = [
    {
      name: `zip import, ${stats.files.toLocaleString('en-US')} files`,
      baseline: 'unzip -q',
      ours,
      base,
      ratio,
      target: 1.5,
      note: `${archiveMiB.toFixed(0)} MiB archive, ${(stats.bytes / 1024 ** 2).toFixed(0)} MiB out, median of ${ROUNDS} alternating, fresh destinations, ${fsState}`,
    },
  ]

  const big = await bigArchive(workDir)
  const bigMB = statSync(big).size / MB
  const bigBase = timeCommand('unzip', ['-q', big, '-d', join(dir, 'big-unzip')])
  const child = importInChild(big, join(dir, 'big-ours'))
  results.push(
    {
      name: `zip import, ${bigMB.toFixed(0)} MB archive`,
      baseline: 'unzip -q',
      ours: child.seconds,
      base: bigBase,
      ratio: child.seconds / bigBase,
      target: 1.5,
      note: `${child.files} files, one run each (unzip first), in a child process, fresh destinations`,
    },
    {
      name: `zip import peak RSS growth, ${bigMB.toFixed(0)} MB archive`,
      unit: 'MB',
      baseline: `${RSS_BUDGET_MB} MB budget`,
      ours: child.growth / MB,
      base: RSS_BUDGET_MB,
      ratio: child.growth / MB / RSS_BUDGET_MB,
      target: 1,
      note: 'VmHWM of the importing child process minus its RSS just before the import',
    },
  )
  await rm(dir, { recursive: true, force: true })
  return results
}
