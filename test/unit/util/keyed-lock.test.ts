import { describe, expect, it } from 'vitest'
import { KeyedLock } from '../../../src/main/util/keyed-lock'

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('KeyedLock', () => {
  it('runs one function per key at a time, in order, and other keys alongside', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const job = (name: string, ms: number) => async () => {
      log.push(`${name}+`)
      await tick(ms)
      log.push(`${name}-`)
      return name
    }
    const results = await Promise.all([
      lock.run('a', job('a1', 30)),
      lock.run('a', job('a2', 1)),
      lock.run('b', job('b1', 5)),
    ])
    expect(results).toEqual(['a1', 'a2', 'b1'])
    expect(log.indexOf('a1-')).toBeLessThan(log.indexOf('a2+'))
    expect(log.indexOf('b1+')).toBeLessThan(log.indexOf('a1-'))
    expect(lock.busy('a')).toBe(false)
  })

  it('goes on after a failure, which reaches only its own caller', async () => {
    const lock = new KeyedLock()
    const failed = lock.run('a', async () => {
      throw new Error('boom')
    })
    const next = lock.run('a', async () => 'after')
    await expect(failed).rejects.toThrow('boom')
    await expect(next).resolves.toBe('after')
  })
})
