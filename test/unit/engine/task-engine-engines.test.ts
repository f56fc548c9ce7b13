import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDockerClient } from '../../../src/main/docker/client'
import { startPingOnlyEngine } from '../../support/docker-ping-double'
import { openEngineBench, untilStatus } from './task-engine-fixture'

/**
 * Several engines on the engine's test bench: each turn is held at the model key's gate (after it took its
 * engine's slot), so the queue's placement is what is seen. The remote engines are a health check on
 * 127.0.0.1 that answers (no container is ever made), and a closed port of 127.0.0.1 that does not.
 */
const BOX = { id: 'box', name: 'Build box', host: 'ssh://me@box.example', maxConcurrentTasks: 2 }
const DEAD = { id: 'dead', name: 'Dead box', host: 'ssh://me@dead.example', maxConcurrentTasks: 2 }

async function openBench(settings: NonNullable<Parameters<typeof openEngineBench>[0]>['settings']) {
  const box = await startPingOnlyEngine()
  const hosts: Record<string, string> = { box: box.host, dead: 'tcp://127.0.0.1:1' }
  return openEngineBench({
    settings,
    connectEngine: (config) => createDockerClient({ host: hosts[config.id] }),
  })
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('TaskEngine on several engines', () => {
  it('spreads tasks over the engines, each at most its slots, and records where each runs', async () => {
    const bench = await openBench({ maxConcurrentTasks: 2, engines: [BOX] })
    const { engine, apiKey } = bench
    await pause(200) // the box's first health check
    const tasks = []
    for (const n of [1, 2, 3, 4, 5, 6]) tasks.push(await bench.submit(`task ${n}`))
    await apiKey.waitForCalls(4)
    await pause(100)
    expect(apiKey.calls).toBe(4)
    const placed = tasks.map((t) => engine.get(t.id).engine)
    expect(placed.slice(0, 4).sort()).toEqual(['box', 'box', 'local', 'local'])
    expect(placed.slice(4)).toEqual([undefined, undefined])
    // What Settings → Engines shows: the box answers; no local engine here (no socket), and it says why.
    const status = await engine.engineStatus()
    expect(status.map((e) => [e.id, e.name, e.remote, e.reachable, e.active.length, e.limit])).toEqual([
      ['local', 'This computer', false, false, 2, 2],
      ['box', 'Build box', true, true, 2, 2],
    ])
    expect(status[0]!.error?.message).toMatch(/Docker is not running/)
    expect(status[1]!.version).toBe('27.0.3')
  })

  it('gives no task to a remote engine that never answered; one pinned there waits for it', async () => {
    const bench = await openBench({ maxConcurrentTasks: 2, engines: [DEAD] })
    const { engine, apiKey } = bench
    const source = { kind: 'folder', path: join(bench.dataDir, 'code') } as const
    const pinned = await engine.submit({ source, prompt: 'on the dead box', engine: 'dead' })
    const tasks = []
    for (const n of [1, 2, 3]) tasks.push(await bench.submit(`task ${n}`))
    await apiKey.waitForCalls(2)
    await pause(300)
    expect(apiKey.calls).toBe(2)
    expect(tasks.map((t) => engine.get(t.id).engine)).toEqual(['local', 'local', undefined])
    expect(engine.get(pinned.id)).toMatchObject({ status: 'queued', engine: 'dead' })
    expect(engine.engineLoad().find((l) => l.id === 'dead')).toMatchObject({ active: [], paused: true })
  })

  it('runs a task pinned to an engine there only, and refuses an engine Settings do not have', async () => {
    const bench = await openBench({ maxConcurrentTasks: 1, engines: [BOX] })
    const { engine, apiKey } = bench
    const source = { kind: 'folder', path: join(bench.dataDir, 'code') } as const
    const first = await engine.submit({ source, prompt: 'one', engine: 'box' })
    const second = await engine.submit({ source, prompt: 'two', engine: 'box' })
    const third = await engine.submit({ source, prompt: 'three', engine: 'box' })
    await apiKey.waitForCalls(2)
    expect([first, second].map((t) => engine.get(t.id).engine)).toEqual(['box', 'box'])
    // The local engine's free slot does not take the third: it waits for the box.
    expect(engine.get(third.id)).toMatchObject({ status: 'queued', engine: 'box' })
    await expect(engine.submit({ source, prompt: 'x', engine: 'nowhere' })).rejects.toThrow(
      /no engine “nowhere” in Settings → Engines/,
    )
  })

  it('fails a queued task whose engine was removed from Settings, saying which and what to do', async () => {
    const bench = await openBench({ maxConcurrentTasks: 1, engines: [BOX] })
    const { engine, settings } = bench
    const source = { kind: 'folder', path: join(bench.dataDir, 'code') } as const
    await settings.update({ engines: [{ ...BOX, enabled: false }] })
    engine.settingsChanged()
    const task = await engine.submit({ source, prompt: 'on the box', engine: 'box' })
    expect(engine.get(task.id).status).toBe('queued')
    await settings.update({ engines: [] })
    engine.settingsChanged()
    const failed = await untilStatus(engine, task.id, 'failed')
    expect(failed.error?.message).toBe('The engine “box” is not in Settings → Engines.')
  })
})
