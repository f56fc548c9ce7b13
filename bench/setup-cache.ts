import { cp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TaskEngine } from '../src/main/engine/task-engine'
import { startModelServer, type ScriptStep } from '../test/support/model-server'
import { benchDocker } from './support/agent-image'
import {
  openBenchEngine,
  runTimedTask,
  secondsTo,
  secondsToLog,
  type TimedTask,
} from './support/bench-engine'
import { sh } from './support/monorepo-steps'
import type { BenchResult } from './types'

/** A small Express app's repository: package.json + package-lock.json pinned once, and a setup.sh running `npm ci`. */
const REPO_FIXTURE = fileURLToPath(new URL('./support/setup-cache-repo', import.meta.url))
const FINISH: ScriptStep = { toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }
const RESTORED = /Setup restored from cache \(saved [^)]*\)/
/** Later tasks on the same repository; the median is the figure. */
const WARM_RUNS = 3

/** The packages package-lock.json installs (its `node_modules/…` entries). */
async function lockedPackages(repo: string): Promise<number> {
  const lock = JSON.parse(await readFile(join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>
  }
  return Object.keys(lock.packages).filter((path) => path.startsWith('node_modules/')).length
}

const setupLog = async (engine: TaskEngine, task: TimedTask): Promise<string> =>
  (await engine.store.readArtifact(task.id, 'setup.log')) ?? ''

/** Task 1 must have run `npm ci` in a setup container; anything else would time the wrong thing. */
async function checkCold(engine: TaskEngine, task: TimedTask, packages: number): Promise<void> {
  const log = await setupLog(engine, task)
  if (!task.statuses.some((s) => s.status === 'setting_up') || !log.includes(`added ${packages} packages`)) {
    throw new Error(`the first task did not install ${packages} packages with npm ci; setup.log:\n${log}`)
  }
}

/** Task 2 must have restored the cache and run no setup container; returns the log's line saying so. */
async function checkWarm(engine: TaskEngine, task: TimedTask): Promise<string> {
  const log = await setupLog(engine, task)
  const restored = RESTORED.exec(log)
  if (!restored || task.statuses.some((s) => s.status === 'setting_up') || log.includes('added ')) {
    throw new Error(`the second task did not restore the setup cache; setup.log:\n${log}`)
  }
  return restored[0]
}

const at = (seconds: number): string => `${seconds.toFixed(1)} s`

/** Where each task's time went, in seconds from its submit. */
function phases(cold: TimedTask, warm: TimedTask): string {
  return (
    `first: setting_up at ${at(secondsTo(cold, 'setting_up'))}, npm ci done at ` +
    `${at(secondsToLog(cold, /added \d+ packages/))}, running at ${at(secondsTo(cold, 'running'))}; ` +
    `second: restored at ${at(secondsToLog(warm, RESTORED))}, running at ${at(secondsTo(warm, 'running'))}`
  )
}

/** Files under the workspace's node_modules (the second task's: restored from the cache). */
function nodeModulesFiles(engine: TaskEngine, task: TimedTask): number {
  return Number(sh('find node_modules -type f | wc -l', engine.store.paths(task.id).workspace).trim())
}

/**
 * The setup cache on the real engine, Docker and the npm registry: two folder tasks on the same
 * repository, whose setup.sh runs `npm ci` (81 packages of a small Express app). Task 1 is cold (setup
 * runs `npm ci` through the registries-only policy proxy, and the cache saves the result); task 2
 * restores it, and so do two more (the median of the three is the figure). Each is timed from the
 * submit call to its `running` status (the agent phase's sandbox started), the model a scripted one-step
 * finish. Target: task 2 ≤ 1/5 of task 1.
 */
export default async function run(workDir: string): Promise<BenchResult[]> {
  const { docker } = await benchDocker()
  const dir = join(workDir, 'setup-cache')
  await rm(dir, { recursive: true, force: true })
  const repo = join(dir, 'repo')
  await cp(REPO_FIXTURE, repo, { recursive: true })
  const packages = await lockedPackages(repo)
  const model = await startModelServer(Array.from({ length: 1 + WARM_RUNS }, () => FINISH))
  const engine = await openBenchEngine({ docker, dataDir: join(dir, 'data'), baseURL: model.baseURL })
  try {
    await engine.image.ensure() // built or found before the clock starts
    const input = { source: { kind: 'folder', path: repo }, prompt: 'Say you are done.' } as const
    const cold = await runTimedTask(engine, input)
    await checkCold(engine, cold, packages)
    // The later tasks on the repository, each restoring the cache: the median one is timed.
    const warmRuns: TimedTask[] = []
    for (let i = 0; i < WARM_RUNS; i++) warmRuns.push(await runTimedTask(engine, input))
    const restoredLines = await Promise.all(warmRuns.map((task) => checkWarm(engine, task)))
    const byTime = warmRuns
      .map((task, i) => ({ task, i }))
      .sort((a, b) => secondsTo(a.task, 'running') - secondsTo(b.task, 'running'))
    const median = byTime[Math.floor(WARM_RUNS / 2)]!
    const warm = median.task
    const restored = restoredLines[median.i]!
    const ours = secondsTo(warm, 'running')
    const base = secondsTo(cold, 'running')
    return [
      {
        name: 'setup cache: second task on the same repository, submit → running',
        baseline: 'first task (setup runs npm ci)',
        ours,
        base,
        ratio: ours / base,
        target: 0.2,
        note:
          `first task once, the median of ${WARM_RUNS} later ones (${warmRuns.map((t) => at(secondsTo(t, 'running'))).join(', ')}); ` +
          `${phases(cold, warm)}; npm ci of ${packages} packages, ` +
          `${nodeModulesFiles(engine, warm)} files in node_modules; "${restored}"`,
      },
    ]
  } finally {
    await engine.close()
    await model.close()
    await rm(dir, { recursive: true, force: true })
  }
}
