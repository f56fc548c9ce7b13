import { AppError } from '../errors'
import { KeyedLock } from '../util/keyed-lock'

/**
 * Host access to task workspaces, a tree the sandbox controls: one host reader or writer per task at a
 * time, and none while a container of the task is alive. A turn starts its containers through
 * `exclusive`, so none can start while another host access runs; outside callers (diff, save, publish)
 * go through `whileIdle` or `idleOrConflict`.
 */
export class WorkspaceGate {
  private readonly lock = new KeyedLock()

  constructor(private readonly containerAlive: (id: string) => boolean) {}

  /** Runs `fn` with the task's workspace to itself (the turn's own host steps and container starts). */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.lock.run(id, fn)
  }

  /** Like exclusive; undefined, without running `fn`, while a container of the task is alive. */
  whileIdle<T>(id: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.containerAlive(id)) return Promise.resolve(undefined)
    return this.lock.run(id, async () => (this.containerAlive(id) ? undefined : fn()))
  }

  /** Like whileIdle, for changes: a running turn is a conflict. */
  async idleOrConflict<T>(id: string, what: string, fn: () => Promise<T>): Promise<T> {
    const result = await this.whileIdle(id, async () => ({ value: await fn() }))
    if (result) return result.value
    throw new AppError('conflict', `${what} waits until the agent's turn ends.`, {
      hint: 'Try again when the task is back in review.',
    })
  }
}
