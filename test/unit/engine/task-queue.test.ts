import { describe, expect, it } from 'vitest'
import { TaskQueue } from '../../../src/main/engine/task-queue'

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

describe('TaskQueue', () => {
  it('runs at most N at once, the rest in order', async () => {
    const queue = new TaskQueue(2)
    const started: string[] = []
    const gates = new Map<string, ReturnType<typeof deferred>>()
    for (const id of ['a', 'b', 'c', 'd']) {
      const gate = deferred()
      gates.set(id, gate)
      queue.enqueue(id, async () => {
        started.push(id)
        await gate.promise
      })
    }
    expect(started).toEqual(['a', 'b'])
    expect(queue.waitingIds).toEqual(['c', 'd'])
    gates.get('b')!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(started).toEqual(['a', 'b', 'c'])
    expect(queue.withdraw('d')).toBe(true)
    expect(queue.withdraw('a')).toBe(false) // running, not waiting
    gates.get('a')!.resolve()
    gates.get('c')!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(started).toEqual(['a', 'b', 'c'])
    expect(queue.activeCount).toBe(0)
  })

  it('keeps going after a job fails, and honours a raised limit', async () => {
    const queue = new TaskQueue(1)
    const started: string[] = []
    const gate = deferred()
    queue.enqueue('x', async () => {
      started.push('x')
      throw new Error('boom')
    })
    queue.enqueue('y', async () => {
      started.push('y')
      await gate.promise
    })
    queue.enqueue('z', async () => {
      started.push('z')
    })
    await new Promise((r) => setTimeout(r, 0))
    expect(started).toEqual(['x', 'y'])
    queue.setLimit(2)
    expect(started).toEqual(['x', 'y', 'z'])
    gate.resolve()
  })
})

describe('TaskQueue pause', () => {
  it('starts no waiting job while paused (running ones go on), then goes on in order', async () => {
    const queue = new TaskQueue(2)
    const started: string[] = []
    const gate = deferred()
    queue.enqueue('a', async () => {
      started.push('a')
      await gate.promise
    })
    queue.pause()
    queue.enqueue('b', async () => void started.push('b'))
    queue.enqueue('c', async () => void started.push('c'))
    queue.setLimit(3)
    gate.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(started).toEqual(['a'])
    expect(queue.waitingIds).toEqual(['b', 'c'])
    expect(queue.isPaused).toBe(true)
    queue.resume()
    expect(started).toEqual(['a', 'b', 'c'])
  })
})

describe('TaskQueue on several engines', () => {
  /** Enqueues `ids`, each held until its gate opens; records which engine each started on. */
  function holdAll(queue: TaskQueue, ids: string[], pins: Record<string, string> = {}) {
    const started: Array<[string, string]> = []
    const gates = new Map<string, ReturnType<typeof deferred>>()
    for (const id of ids) {
      const gate = deferred()
      gates.set(id, gate)
      queue.enqueue(
        id,
        async (engine) => {
          started.push([id, engine])
          await gate.promise
        },
        pins[id],
      )
    }
    const finish = async (id: string): Promise<void> => {
      gates.get(id)!.resolve()
      await new Promise((r) => setTimeout(r, 0))
    }
    return { started, finish }
  }

  it('spreads unpinned jobs over the engines by free slots, each engine at most its limit', async () => {
    const queue = new TaskQueue(2)
    queue.setEngines([
      { id: 'local', limit: 2 },
      { id: 'box', limit: 2 },
    ])
    const { started, finish } = holdAll(queue, ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'])
    expect(started).toEqual([
      ['t1', 'local'],
      ['t2', 'box'],
      ['t3', 'local'],
      ['t4', 'box'],
    ])
    expect(queue.waitingIds).toEqual(['t5', 't6', 't7', 't8'])
    expect(queue.load().map((l) => [l.id, l.active.length, l.limit])).toEqual([
      ['local', 2, 2],
      ['box', 2, 2],
    ])
    await finish('t2')
    expect(started.at(-1)).toEqual(['t5', 'box'])
    expect(queue.engineOf('t5')).toBe('box')
    expect(queue.activeCount).toBe(4)
  })

  it('keeps a pinned job for its engine without holding up the jobs behind it', async () => {
    const queue = new TaskQueue(1)
    queue.setEngines([
      { id: 'local', limit: 1 },
      { id: 'box', limit: 1 },
    ])
    const { started, finish } = holdAll(queue, ['a', 'b', 'c', 'd'], { a: 'local', b: 'local', c: 'box' })
    expect(started).toEqual([
      ['a', 'local'],
      ['c', 'box'],
    ])
    expect(queue.waitingIds).toEqual(['b', 'd'])
    await finish('a')
    // b came first and is pinned to local: it gets the freed slot, not d.
    expect(started.at(-1)).toEqual(['b', 'local'])
    await finish('c')
    expect(started.at(-1)).toEqual(['d', 'box'])
  })

  it('starts nothing on a paused engine while the other takes the jobs; a removed engine keeps its running jobs', async () => {
    const queue = new TaskQueue(2)
    queue.setEngines([
      { id: 'local', limit: 2 },
      { id: 'box', limit: 2 },
    ])
    queue.pause('box')
    const { started, finish } = holdAll(queue, ['a', 'b', 'c'])
    expect(started).toEqual([
      ['a', 'local'],
      ['b', 'local'],
    ])
    queue.resume('box')
    expect(started.at(-1)).toEqual(['c', 'box'])
    queue.setEngines([{ id: 'local', limit: 2 }])
    expect(queue.load().find((l) => l.id === 'box')).toMatchObject({ limit: 0, active: ['c'] })
    await finish('c')
    queue.setEngines([{ id: 'local', limit: 2 }])
    expect(queue.load().map((l) => l.id)).toEqual(['local'])
  })
})
