import { describe, expect, it } from 'vitest'
import { invokeCall } from '../../../src/main/engine/handlers'
import { openEngineBench, statusesOf, untilStatus } from './task-engine-fixture'

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('TaskEngine queue (no Docker: tasks held at the model-key gate)', () => {
  it('cancels a queued task: it never starts, says cancelled, and the queue moves on past it', async () => {
    const bench = await openEngineBench({ settings: { maxConcurrentTasks: 1 } })
    const { engine, apiKey } = bench
    const first = await bench.submit('first')
    await apiKey.waitForCalls(1)
    const second = await bench.submit('second')
    const third = await bench.submit('third')

    const cancelled = await engine.cancel(second.id)
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.finishedAt).toBeDefined()
    expect(engine.get(second.id).status).toBe('cancelled')
    expect(statusesOf(bench.events, second.id)).toEqual([
      ['queued', undefined],
      ['cancelled', undefined],
    ])
    // The same, as the store keeps it for a timeline opened later.
    const stored = await engine.events(second.id)
    expect(stored.map((e) => e.type === 'status' && e.status)).toEqual(['queued', 'cancelled'])
    // Cancelling again changes nothing.
    expect((await engine.cancel(second.id)).status).toBe('cancelled')

    // The first ends (no key: failed at once, without Docker); the next to start is the third, not the second.
    apiKey.release(undefined)
    expect((await untilStatus(engine, first.id, 'failed')).error?.kind).toBe('auth_failed')
    await apiKey.waitForCalls(2)
    apiKey.release(undefined)
    expect((await untilStatus(engine, third.id, 'failed')).error?.kind).toBe('auth_failed')
    await pause(200)
    expect(apiKey.calls).toBe(2)
    const never = engine.get(second.id)
    expect([never.status, never.startedAt, never.error]).toEqual(['cancelled', undefined, undefined])
    expect(statusesOf(bench.events, second.id)).toHaveLength(2)
  })

  it('a raised maxConcurrentTasks starts a waiting task at once (settingsChanged), no new submit needed', async () => {
    const bench = await openEngineBench({ settings: { maxConcurrentTasks: 1 } })
    const { engine, apiKey, settings } = bench
    await bench.submit('first')
    await apiKey.waitForCalls(1)
    const second = await bench.submit('second')
    await pause(200)
    expect(apiKey.calls).toBe(1) // held back by the limit of 1
    expect(engine.get(second.id).status).toBe('queued')

    await settings.update({ maxConcurrentTasks: 2 })
    engine.settingsChanged()
    await apiKey.waitForCalls(2, 1_000)
  })

  it('settings.update through the handlers applies the new limit to the waiting tasks', async () => {
    const bench = await openEngineBench({ settings: { maxConcurrentTasks: 1 } })
    const { apiKey, handlers } = bench
    await bench.submit('first')
    await apiKey.waitForCalls(1)
    await bench.submit('second')
    await bench.submit('third')
    await pause(200)
    expect(apiKey.calls).toBe(1)

    const result = await invokeCall(handlers, 'settings.update', { maxConcurrentTasks: 3 })
    expect(result.ok && result.value.maxConcurrentTasks).toBe(3)
    await apiKey.waitForCalls(3, 1_000)
  })

  it('a lowered limit holds: a finished task makes no room while the others still fill the new limit', async () => {
    const bench = await openEngineBench({ settings: { maxConcurrentTasks: 2 } })
    const { engine, apiKey, handlers } = bench
    const first = await bench.submit('first')
    await bench.submit('second')
    await apiKey.waitForCalls(2)
    const third = await bench.submit('third')

    const result = await invokeCall(handlers, 'settings.update', { maxConcurrentTasks: 1 })
    expect(result.ok).toBe(true)
    apiKey.release(undefined) // the first ends; the second still runs, and the limit is now 1
    await untilStatus(engine, first.id, 'failed')
    await pause(200)
    expect(apiKey.calls).toBe(2)
    expect(engine.get(third.id).status).toBe('queued')

    apiKey.release(undefined) // the second ends: now the third may start
    await apiKey.waitForCalls(3, 1_000)
  })
})
