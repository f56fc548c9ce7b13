/** Lets pending I/O callbacks and timers run before continuing a long synchronous job. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
