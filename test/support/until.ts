/** Resolves with the first value `check` returns other than undefined (polled every 50 ms); rejects after `timeoutMs`. */
export function until<T>(check: () => T | undefined, timeoutMs = 120_000, what = 'condition'): Promise<T> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const value = check()
      if (value !== undefined) return resolve(value)
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 50)
    }
    tick()
  })
}
