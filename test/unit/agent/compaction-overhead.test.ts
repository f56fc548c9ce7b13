import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { startLongTask } from './compaction-fixture'

setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void

const STEPS = 150
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN

describe('the loop’s own cost on a 150-step task (measurement; prints its figures)', () => {
  it('overhead per step (model and tool time excluded) has a median under 5 ms; heap after step 150 ≤ 1.5× step 10', async () => {
    let modelMs = 0
    // Model time: the whole HTTP exchange, body read included (the SDK parses what is already in memory).
    const timedFetch: typeof fetch = async (input, init) => {
      const started = performance.now()
      const res = await fetch(input, init)
      const body = await res.arrayBuffer()
      modelMs += performance.now() - started
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers })
    }
    const overheads: number[] = []
    const heap = new Map<number, number>()
    let stepStart = performance.now()
    let modelAtStart = 0
    let toolStarted = 0
    let toolMs = 0
    const task = await startLongTask({
      steps: STEPS,
      serverWindow: 40_000,
      fetch: timedFetch,
      onEvent: (e) => {
        if (e.type === 'tool_call') toolStarted = performance.now()
        if (e.type !== 'tool_result') return
        const now = performance.now()
        toolMs += now - toolStarted
        overheads.push(now - stepStart - (modelMs - modelAtStart) - toolMs)
        if (e.step === 10 || e.step === STEPS) {
          gc()
          heap.set(e.step, process.memoryUsage().heapUsed)
        }
        // The test's own record of requests is not the loop's memory: keep only the last.
        task.server.requests.splice(0, task.server.requests.length - 1)
        stepStart = performance.now()
        modelAtStart = modelMs
        toolMs = 0
      },
    })
    const result = await task.run()
    expect(result.usage.steps).toBe(STEPS)
    expect(overheads).toHaveLength(STEPS)
    const m = median(overheads)
    const ratio = heap.get(STEPS)! / heap.get(10)!
    console.log(
      `loop overhead per step: median ${m.toFixed(2)} ms, p90 ${[...overheads].sort((a, b) => a - b)[Math.floor(STEPS * 0.9)]!.toFixed(2)} ms; ` +
        `heap after step 10 ${(heap.get(10)! / 2 ** 20).toFixed(1)} MiB, after step ${STEPS} ${(heap.get(STEPS)! / 2 ** 20).toFixed(1)} MiB = ${ratio.toFixed(2)}×`,
    )
    expect(m).toBeLessThan(5)
    expect(ratio).toBeLessThanOrEqual(1.5)
  }, 120_000)
})
