import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { invokeCall } from '../../../src/main/engine/handlers'
import { AppError } from '../../../src/main/errors'
import { tempDir } from '../../support/tmp'
import { reviewTask } from './review-fixture'
import { openEngineBench, statusesOf } from './task-engine-fixture'

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

afterEach(() => {
  vi.useRealTimers()
})

describe('TaskEngine.publish: one at a time per task', () => {
  it('answers conflict "already being published" while a publish runs, and publishes again after it', async () => {
    const dataDir = join(await tempDir('codex-engine-publish-'), 'data')
    const task = await reviewTask({ 'a.txt': 'one\n' }, (ws) => writeFile(join(ws, 'a.txt'), 'two\n'), {
      dataDir,
    })
    const { engine, githubToken, handlers } = await openEngineBench({ dataDir })
    const request = { id: task.id, kind: 'export', format: 'patch' } as const

    const first = engine.publish(request) // held where it asks for the GitHub token
    first.catch(() => undefined) // awaited below; not left unhandled should an assertion fail first
    await githubToken.waitForCalls(1)
    const second = await Promise.race([
      engine.publish(request).catch((err: unknown) => err),
      pause(2_000).then(() => 'the second publish waited instead of being refused'),
    ])
    expect(second).toBeInstanceOf(AppError)
    expect(second).toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/already being published/),
    })
    // The same through the contract, as the UI sees it.
    const viaHandler = await invokeCall(handlers, 'tasks.publish', request)
    expect(viaHandler).toMatchObject({ ok: false, error: { kind: 'conflict' } })
    expect(!viaHandler.ok && viaHandler.error.message).toMatch(/already being published/)
    expect(githubToken.calls).toBe(1) // neither refused call got as far as the first

    githubToken.release(undefined)
    const outcome = await first
    expect(outcome).toMatchObject({ kind: 'exported', format: 'patch', artifact: 'export.patch' })
    expect(await engine.artifact(task.id, 'export.patch')).toContain('+two')

    // Once it ended, the next publish runs.
    const again = engine.publish(request)
    await githubToken.waitForCalls(2)
    githubToken.release(undefined)
    await expect(again).resolves.toMatchObject({ kind: 'exported' })
    expect(engine.get(task.id).outcomes).toHaveLength(2)
  })
})

describe('TaskEngine: the per-turn time limit', () => {
  it('ends a turn that outlives limits.timeLimitMs as failed, kind timeout, naming the minutes', async () => {
    const bench = await openEngineBench()
    const { engine, apiKey, githubToken } = bench
    githubToken.open(undefined)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const task = await engine.submit({
      source: { kind: 'folder', path: join(bench.dataDir, 'no-such-code') },
      prompt: 'slow',
      limits: { timeLimitMs: 2 * 60_000 },
    })
    await apiKey.waitForCalls(1) // the turn has begun and is held at the key

    await vi.advanceTimersByTimeAsync(2 * 60_000 - 1_000)
    expect(engine.get(task.id).status).toBe('queued')
    expect(engine.get(task.id).error).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1_000) // the limit passes while the turn is still under way
    apiKey.release('sk-unit-key')

    // The status event comes last, after the record is written and the error event sent.
    await vi.waitFor(
      () => {
        const last = statusesOf(bench.events, task.id).at(-1)
        if (last?.[0] !== 'failed') throw new Error(`still ${last?.[0]}`)
      },
      { timeout: 5_000, interval: 20 },
    )
    const ended = engine.get(task.id)
    expect(ended.error).toMatchObject({ kind: 'timeout', message: 'The task hit its time limit (2 min).' })
    expect(ended.error?.hint).toMatch(/longer time limit/)
    expect(ended.finishedAt).toBeDefined()
    const errors = bench.events.filter((e) => e.taskId === task.id && e.type === 'error')
    expect(errors).toEqual([expect.objectContaining({ error: expect.objectContaining({ kind: 'timeout' }) })])
    expect(statusesOf(bench.events, task.id).at(-1)).toEqual([
      'failed',
      'The task hit its time limit (2 min).',
    ])
  })
})

describe('TaskEngine: a stop while the turn waits on a lookup', () => {
  it('a cancel does not wait for a key lookup that hangs (a locked keychain)', async () => {
    const bench = await openEngineBench()
    const { engine, apiKey } = bench
    const task = await engine.submit({
      source: { kind: 'folder', path: join(bench.dataDir, 'no-such-code') },
      prompt: 'held at the key',
    })
    await apiKey.waitForCalls(1) // never released
    const cancelled = await Promise.race([
      engine.cancel(task.id),
      pause(3_000).then(() => 'the cancel waited for the key lookup'),
    ])
    expect(cancelled).toMatchObject({ status: 'cancelled' })
  })

  it('a time limit under a minute is said in seconds', async () => {
    const bench = await openEngineBench()
    const task = await bench.engine.submit({
      source: { kind: 'folder', path: join(bench.dataDir, 'no-such-code') },
      prompt: 'held at the key',
      limits: { timeLimitMs: 1_000 },
    })
    await bench.apiKey.waitForCalls(1) // never released: the limit ends it
    await vi.waitFor(
      () => {
        if (statusesOf(bench.events, task.id).at(-1)?.[0] !== 'failed') throw new Error('not yet')
      },
      { timeout: 5_000, interval: 20 },
    )
    expect(bench.engine.get(task.id).error?.message).toBe('The task hit its time limit (1 s).')
  })
})
