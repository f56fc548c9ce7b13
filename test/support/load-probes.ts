import type { Page } from 'playwright-core'
import type { AppEvent } from '../../src/shared/events'
import { NodeEventSource } from './sse-client'

const MIB = 1024 * 1024

/** The test process's memory, sampled every `everyMs` until stopped: the start and the peaks, in MiB. */
export function sampleMemory(
  everyMs = 100,
): () => { start: { rss: number; heap: number }; peakRss: number; peakHeap: number } {
  const now = (): { rss: number; heap: number } => {
    const usage = process.memoryUsage()
    return { rss: usage.rss / MIB, heap: usage.heapUsed / MIB }
  }
  const start = now()
  let peakRss = start.rss
  let peakHeap = start.heap
  const timer = setInterval(() => {
    const { rss, heap } = now()
    peakRss = Math.max(peakRss, rss)
    peakHeap = Math.max(peakHeap, heap)
  }, everyMs)
  return () => {
    clearInterval(timer)
    return { start, peakRss, peakHeap }
  }
}

/** The p-th percentile (0–100) of `values` (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (!sorted.length) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** The page's frame times: the deltas (ms) between requestAnimationFrame callbacks over `ms`. */
export async function frameTimes(page: Page, ms: number): Promise<number[]> {
  const deltas = await page.evaluate(`new Promise((resolve) => {
    const deltas = []
    let last = performance.now()
    const end = last + ${ms}
    const frame = (t) => {
      deltas.push(t - last)
      last = t
      if (t < end) requestAnimationFrame(frame)
      else resolve(deltas)
    }
    requestAnimationFrame(frame)
  })`)
  return deltas as number[]
}

/** An SSE client that keeps the keys (`taskId:seq`) of the task events it got, in arrival order. */
export interface EventTally {
  source: NodeEventSource
  keys: string[]
}

export function tallyEvents(url: string, headers: Record<string, string>): EventTally {
  const tally: EventTally = { source: new NodeEventSource(url, { headers }), keys: [] }
  tally.source.onmessage = ({ data }) => {
    const event = JSON.parse(data) as AppEvent
    if (event.kind === 'task') tally.keys.push(`${event.event.taskId}:${event.event.seq}`)
  }
  return tally
}
