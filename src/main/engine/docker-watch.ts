import type { EngineLiveness } from '../docker/engine-probe'

/** What the watcher last concluded: not looked yet, answering, or gone. */
export type DockerWatchState = 'unknown' | 'up' | 'down'

export interface DockerWatchOptions {
  /** One look at the engine; `light` when nothing runs or waits (see pingEngine). */
  look: (light: boolean) => Promise<EngineLiveness>
  /** Whether tasks run or wait: then the engine is looked at every `busyMs`, else every `idleMs`. */
  busy: () => boolean
  busyMs?: number
  idleMs?: number
  /** Looks in a row without an answer in time that count as the engine gone (default 4). */
  slowLimit?: number
}

export type DockerWatchListener = (state: 'up' | 'down', previous: DockerWatchState) => void

/**
 * Watches the Docker engine: a look every ~2 s while tasks run or wait (a lighter one every 4 s when
 * idle), and on each edge (up → down, down → up, and the first answer) tells its listeners. A refused
 * connection or a missing socket is "down" at once; an engine that is only slow (a busy machine, Docker
 * Desktop waking) becomes "down" after `slowLimit` looks in a row without an answer.
 */
export class DockerWatch {
  private current: DockerWatchState = 'unknown'
  private seenUp = false
  private slowInRow = 0
  private timer: NodeJS.Timeout | undefined
  private looking: Promise<DockerWatchState> | undefined
  private stopped = false
  private readonly listeners = new Set<DockerWatchListener>()

  constructor(private readonly opts: DockerWatchOptions) {}

  get state(): DockerWatchState {
    return this.current
  }

  /** Whether the engine answered at least once since the watcher started. */
  get everUp(): boolean {
    return this.seenUp
  }

  onChange(listener: DockerWatchListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Looks now, then keeps looking. */
  start(): void {
    this.stopped = false
    void this.check()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  /** Looks at the engine now (a full look; concurrent calls share one) and returns what it concluded. */
  check(): Promise<DockerWatchState> {
    this.looking ??= this.look(false).finally(() => {
      this.looking = undefined
      this.schedule()
    })
    return this.looking
  }

  private schedule(): void {
    clearTimeout(this.timer)
    if (this.stopped) return
    const busy = this.opts.busy()
    const wait = busy ? (this.opts.busyMs ?? 2_000) : (this.opts.idleMs ?? 4_000)
    this.timer = setTimeout(() => {
      this.looking ??= this.look(!busy).finally(() => {
        this.looking = undefined
        this.schedule()
      })
    }, wait)
    this.timer.unref()
  }

  private async look(light: boolean): Promise<DockerWatchState> {
    const liveness = await this.opts.look(light)
    if (liveness === 'slow') {
      this.slowInRow++
      if (this.slowInRow < (this.opts.slowLimit ?? 4)) return this.current
    } else this.slowInRow = 0
    this.settle(liveness === 'up' ? 'up' : 'down')
    return this.current
  }

  private settle(next: 'up' | 'down'): void {
    const previous = this.current
    if (next === 'up') this.seenUp = true
    if (next === previous) return
    this.current = next
    for (const listener of this.listeners) listener(next, previous)
  }
}
