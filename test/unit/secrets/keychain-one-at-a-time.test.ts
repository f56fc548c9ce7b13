import { describe, expect, it } from 'vitest'
import { oneAtATime, type KeychainBackend } from '../../../src/main/secrets/keychain'

/** A backend that takes a while per call and records how many calls it has in flight at once. */
function slowBackend(): { backend: KeychainBackend; maxInFlight: () => number; order: string[] } {
  let inFlight = 0
  let max = 0
  const order: string[] = []
  const values = new Map<string, string>()
  const call = async <T>(label: string, fn: () => T): Promise<T> => {
    inFlight++
    max = Math.max(max, inFlight)
    await new Promise((r) => setTimeout(r, 5))
    order.push(label)
    inFlight--
    if (label.endsWith(':fail')) throw new Error('the Secret Service is gone')
    return fn()
  }
  return {
    backend: {
      get: (account) => call(`get ${account}`, () => values.get(account) ?? null),
      set: (account, value) => call(`set ${account}`, () => void values.set(account, value)),
      delete: (account) => call(`delete ${account}`, () => values.delete(account)),
    },
    maxInFlight: () => max,
    order,
  }
}

describe('oneAtATime (the OS keychain backend)', () => {
  it('runs calls made at once one after another, in the order they were made', async () => {
    const { backend, maxInFlight, order } = slowBackend()
    const keychain = oneAtATime(backend)
    const results = await Promise.all([
      keychain.set('openai', 'sk-1'),
      keychain.get('openai'),
      keychain.get('github'),
      keychain.delete('openai'),
      keychain.get('openai'),
    ])
    expect(maxInFlight()).toBe(1)
    expect(order).toEqual(['set openai', 'get openai', 'get github', 'delete openai', 'get openai'])
    expect(results).toEqual([undefined, 'sk-1', null, true, null])
  })

  it('a call that fails rejects alone: the ones queued behind it still run', async () => {
    const { backend, order } = slowBackend()
    const keychain = oneAtATime(backend)
    const [failed, after] = await Promise.allSettled([keychain.get(':fail'), keychain.get('github')])
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'the Secret Service is gone' } })
    expect(after).toEqual({ status: 'fulfilled', value: null })
    expect(order).toEqual(['get :fail', 'get github'])
  })
})
