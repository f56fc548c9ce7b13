/**
 * One-at-a-time per key: `run(key, fn)` starts `fn` once every earlier `fn` of the same key has
 * settled (fulfilled or not). Keys with nothing waiting hold no memory.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    const mine = before.catch(() => undefined).then(fn)
    const tail = mine.catch(() => undefined)
    this.tails.set(key, tail)
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return mine
  }

  /** Whether some `fn` of `key` is running or waiting. */
  busy(key: string): boolean {
    return this.tails.has(key)
  }
}
