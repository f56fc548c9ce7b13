import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from '../support/browser'
import { requireDocker, waitForTestImage } from '../support/docker'
import { waitForStatus } from '../support/engine'
import { auditStore } from '../support/engine-child-audit'
import { writeFiles } from '../support/files'
import { frameTimes, percentile, sampleMemory, tallyEvents, type EventTally } from '../support/load-probes'
import {
  orphansOfAll,
  settleAll,
  submitAtOnce,
  watchQueueOrder,
  withLoadServer,
  type LoadEnv,
} from '../support/load-run'
import type { ChatRequest, ScriptStep } from '../support/model-server'
import { NodeEventSource } from '../support/sse-client'
import { until } from '../support/until'
import { expectFault, type FaultRow } from './support/fault-table'

/**
 * Load on the real engine: 50 short tasks (a streamed sentence and a file write, then finish) submitted at
 * once with concurrency 2, watched by the browser (the task list and an open timeline) and 20 SSE clients;
 * then 25 tasks, running and queued mixed, cancelled at once. The figures for the note (peak memory, frame
 * times, cancel times) are printed as `[load] …` lines.
 */
const LOAD = 50
const CONCURRENCY = 2
const STREAMS = 20
const CANCELS = 25
/** Tasks whose prompt carries this get a reply streamed over a minute: running until cancelled. */
const HOLD = 'HOLD-UNTIL-CANCELLED'
const FRAME_WINDOW_MS = 5000
const HEAP_LIMIT_MIB = 400

const finish: ScriptStep = { toolCalls: [{ name: 'finish', args: { summary: 'Wrote the note.' } }] }

function script(req: ChatRequest): ScriptStep {
  if (JSON.stringify(req.messages).includes(HOLD)) {
    return { chunks: Array.from({ length: 600 }, (_, i) => `word${i} `), chunkDelayMs: 100, ...finish }
  }
  if (req.messages.some((m) => m.role === 'tool')) return finish
  return {
    text: 'I will write a short note into the workspace and then finish.',
    chunkDelayMs: 30,
    toolCalls: [{ name: 'write_file', args: { path: 'NOTE.md', content: 'A note.\n' } }],
  }
}

let browser: Browser
beforeAll(async () => {
  await requireDocker()
  await waitForTestImage()
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

function recordAndCheck(row: FaultRow): void {
  expectFault(row)
}

async function openTimeline(env: LoadEnv, id: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  await page.goto(env.openUrl)
  await page.goto(`${env.server.url}/#/task/${id}`)
  await page.getByRole('log', { name: 'Timeline' }).waitFor({ timeout: 30_000 })
  return page
}

async function connectClients(env: LoadEnv): Promise<EventTally[]> {
  const tallies = Array.from({ length: STREAMS }, () => tallyEvents(`${env.server.url}/api/events`, env.auth))
  await until(
    () => tallies.every((t) => t.source.readyState === NodeEventSource.OPEN) || undefined,
    10_000,
    'the SSE clients',
  )
  return tallies
}

/** Every client got each event of the tasks exactly once (compared with the events the store kept). */
async function expectEveryEventAtEveryClient(env: LoadEnv, tallies: EventTally[], ids: string[]) {
  const kept = await Promise.all(ids.map((id) => env.engine.events(id)))
  const expected = kept.flatMap((events) => events.map((e) => `${e.taskId}:${e.seq}`)).sort()
  const ours = new Set(ids)
  const got = (tally: EventTally): string[] => tally.keys.filter((k) => ours.has(k.split(':')[0]!))
  await until(
    () => tallies.every((t) => got(t).length >= expected.length) || undefined,
    20_000,
    'every event at every client',
  )
  for (const tally of tallies) expect([...got(tally)].sort()).toEqual(expected)
  return expected.length
}

/** Submits LOAD tasks at once with the timeline of one open; frame times, memory, and the queue order. */
async function runLoad(env: LoadEnv, repo: string) {
  const memory = sampleMemory()
  const order = watchQueueOrder(env.engine)
  const ids = await submitAtOnce(env.engine, repo, LOAD, 'Write a note')
  const page = await openTimeline(env, ids[6]!)
  await waitForStatus(env.engine, ids[4]!, ['running', 'review'])
  const frames = await frameTimes(page, FRAME_WINDOW_MS)
  const settled = await settleAll(env.engine, ids, 240_000)
  order.stop()
  await page.close()
  return { ids, frames, settled, order, memory: memory() }
}

/** Submits CANCELS held tasks, waits for CONCURRENCY of them to run, cancels all at once; each call's time. */
async function cancelAtOnce(env: LoadEnv, repo: string) {
  const ids = await submitAtOnce(env.engine, repo, CANCELS, HOLD)
  const running = (): number => ids.filter((id) => env.engine.get(id).status === 'running').length
  await until(() => running() === CONCURRENCY || undefined, 60_000, 'the held tasks running')
  const queued = ids.filter((id) => env.engine.get(id).status === 'queued').length
  const times = await Promise.all(
    ids.map(async (id) => {
      const t0 = performance.now()
      await env.engine.cancel(id)
      return performance.now() - t0
    }),
  )
  return { ids, times, queued, statuses: ids.map((id) => env.engine.get(id).status) }
}

describe('load', () => {
  it('runs 50 tasks at concurrency 2 in order with a responsive UI and 20 streams, then cancels 25 at once', async () => {
    const rendererDir = process.env.CODEX_RENDERER_DIR
    if (!rendererDir)
      throw new Error('CODEX_RENDERER_DIR is not set: the faults global setup builds the renderer')
    const started = Date.now()
    await withLoadServer({ rendererDir, maxConcurrentTasks: CONCURRENCY, script }, async (env) => {
      const repo = join(env.root, 'repo')
      await writeFiles(repo, { 'README.md': '# load\n' })
      const tallies = await connectClients(env)

      const load = await runLoad(env, repo)
      const allReview = load.settled.statuses.every((s) => s === 'review')
      const inOrder = load.order.dequeued.join() === load.order.queued.join()
      const audit = await auditStore(env.dataDir, load.ids, load.ids)
      recordAndCheck({
        fault: `${LOAD} tasks at concurrency ${CONCURRENCY}`,
        finalState: `${allReview ? 'all review' : (load.settled.problems[0] ?? 'not all review')}, ${inOrder ? 'in order' : 'out of order'}`,
        expectedState: 'all review, in order',
        lost: audit.lost,
        orphans: await orphansOfAll(load.ids),
      })
      expect(load.order.queued).toHaveLength(LOAD)
      expect(load.order.dequeued).toEqual(load.order.queued)
      // Each task showed `preparing` within the concurrency of its place in the queue.
      const drift = load.order.started.map((id, i) => Math.abs(load.order.queued.indexOf(id) - i))
      expect(drift).toHaveLength(LOAD)
      expect(Math.max(...drift)).toBeLessThan(CONCURRENCY)
      const events = await expectEveryEventAtEveryClient(env, tallies, load.ids)
      const { memory, frames } = load
      const [frameP95, frameMax] = [percentile(frames, 95), Math.max(...frames)]
      console.log(
        `[load] ${LOAD} tasks at concurrency ${CONCURRENCY} in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
          `memory of the engine's process: heap ${memory.start.heap.toFixed(0)} → peak ${memory.peakHeap.toFixed(0)} MiB, ` +
          `rss ${memory.start.rss.toFixed(0)} → peak ${memory.peakRss.toFixed(0)} MiB; browser frames over ` +
          `${FRAME_WINDOW_MS / 1000} s: ${frames.length}, p95 ${frameP95.toFixed(1)} ms, max ${frameMax.toFixed(1)} ms; ` +
          `${STREAMS} SSE clients got all ${events} events`,
      )
      expect(memory.peakHeap).toBeLessThan(HEAP_LIMIT_MIB)
      expect(frames.length).toBeGreaterThan(20)
      expect(frameP95).toBeLessThan(100)

      const cancel = await cancelAtOnce(env, repo)
      const cancelAudit = await auditStore(env.dataDir, cancel.ids)
      const others = [...new Set(cancel.statuses.filter((s) => s !== 'cancelled'))]
      const cancelP95 = percentile(cancel.times, 95)
      console.log(
        `[load] ${CANCELS} cancelled at once (${CANCELS - cancel.queued} started, ${cancel.queued} queued): ` +
          `p95 ${cancelP95.toFixed(0)} ms, max ${Math.max(...cancel.times).toFixed(0)} ms`,
      )
      recordAndCheck({
        fault: `${CANCELS} cancelled at once`,
        finalState: others.length ? `not all cancelled: ${others.join(', ')}` : 'all cancelled',
        expectedState: 'all cancelled',
        lost: cancelAudit.lost,
        orphans: await orphansOfAll(cancel.ids),
      })
      expect(cancel.queued).toBe(CANCELS - CONCURRENCY)
      for (const tally of tallies) tally.source.close()
      console.log(`[load] whole run ${((Date.now() - started) / 1000).toFixed(0)} s`)
    })
  })
})
