/**
 * `npm run bench`: every benchmark, each printing our time against a baseline measured in the same run.
 * `npm run bench -- folder zip` runs only those. Work files go to bench/.work (gitignored).
 */
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { freeGiB } from './support/measure'
import type { BenchResult } from './types'

type Bench = (workDir: string) => Promise<BenchResult[]>

const BENCHES: Record<string, () => Promise<{ default: Bench }>> = {
  folder: () => import('./folder'),
  zip: () => import('./zip'),
  diff: () => import('./diff'),
  start: () => import('./start'),
  relay: () => import('./relay'),
  monorepo: () => import('./monorepo'),
  ship: () => import('./ship'),
  'setup-cache': () => import('./setup-cache'),
}

async function main(): Promise<number> {
  const workDir = fileURLToPath(new URL('./.work', import.meta.url))
  await mkdir(workDir, { recursive: true })
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const names = wanted.length ? wanted : Object.keys(BENCHES)
  console.log(`benchmarks in ${workDir} (${freeGiB(workDir).toFixed(0)} GiB free)`)
  const results: BenchResult[] = []
  let missed = 0
  for (const name of names) {
    const load = BENCHES[name]
    if (!load) {
      console.error(`unknown benchmark ${name}; known: ${Object.keys(BENCHES).join(', ')}`)
      return 2
    }
    for (const result of await (await load()).default(workDir)) {
      results.push(result)
      const ok = result.ratio <= result.target
      if (!ok) missed++
      const unit = result.unit ?? 's'
      console.log(
        `${ok ? 'ok  ' : 'MISS'} ${result.name}: ${result.ours.toFixed(3)} ${unit} vs ${result.baseline} ` +
          `${result.base.toFixed(3)} ${unit} = ${result.ratio.toFixed(2)}× (target ≤ ${result.target}×)` +
          (result.note ? ` — ${result.note}` : ''),
      )
    }
  }
  console.log(`${results.length - missed} within target, ${missed} missed`)
  return missed ? 1 : 0
}

main().then((code) => process.exit(code))
