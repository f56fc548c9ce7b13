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
