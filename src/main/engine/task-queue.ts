import { LOCAL_ENGINE } from '../../shared/engines'

/** One Docker engine's share of the queue: how many jobs it runs at once, and whether it takes new ones. */
export interface EngineLane {
  id: string
  limit: number
  /** A new lane starts held (paused) until resumed: an engine not known to answer yet. */
  held?: boolean
}

/** What the queue says about an engine: its slots, the jobs on it now, whether it is held (unhealthy). */
export interface EngineLoad {
  id: string
  limit: number
  active: string[]
  paused: boolean
}

interface Lane extends EngineLane {
  active: Set<string>
  paused: boolean
  /** Gone from the engines: kept (with no slots) only until its running jobs end. */
  removed?: boolean
}

interface Job {
  id: string
  /** The engine the job must run on; unset: whichever healthy engine has the most free slots. */
  engine?: string
  run: (engine: string) => Promise<void>
}

/**
 * Runs jobs on engines, each engine at most its `limit` at once; the rest wait in the order they came.
 * A job pinned to an engine waits for a slot there without holding up jobs behind it that can start
 * elsewhere; an unpinned job takes the engine with the most free slots (ties: the order of the engines)
 * and stays there. A job that has not started can be withdrawn. A paused engine (Docker went away)
 * starts nothing new; the jobs running on it go on.
 */
export class TaskQueue {
  private readonly waiting: Job[] = []
  private lanes: Lane[]

  constructor(limit: number) {
    this.lanes = [{ id: LOCAL_ENGINE, limit, active: new Set(), paused: false }]
  }

  enqueue(id: string, run: (engine: string) => Promise<void>, engine?: string): void {
    this.waiting.push({ id, run, engine })
    this.pump()
  }

  /** Removes a job that has not started; true when it was waiting. */
  withdraw(id: string): boolean {
    const index = this.waiting.findIndex((job) => job.id === id)
    if (index < 0) return false
    this.waiting.splice(index, 1)
    return true
  }

  /** The local engine's limit (the one-engine setting `maxConcurrentTasks`). */
  setLimit(limit: number): void {
    const local = this.lanes.find((lane) => lane.id === LOCAL_ENGINE)
    if (local) local.limit = limit
    this.pump()
  }

  /**
   * Sets the engines and their limits, in order of preference. An engine that goes keeps its running
   * jobs counted until they end; jobs pinned to it wait until it comes back.
   */
  setEngines(engines: readonly EngineLane[]): void {
    const old = new Map(this.lanes.map((lane) => [lane.id, lane]))
    const next = engines.map((e): Lane => {
      const lane = old.get(e.id)
      old.delete(e.id)
      return {
        id: e.id,
        limit: e.limit,
        active: lane?.active ?? new Set<string>(),
        paused: lane?.paused ?? Boolean(e.held),
      }
    })
    // Kept with no slots while their jobs still run, so those are counted and end normally.
    for (const lane of old.values()) if (lane.active.size) next.push({ ...lane, limit: 0, removed: true })
    this.lanes = next
    this.pump()
  }

  /** Withdraws the waiting jobs pinned to an engine that is gone (they would wait forever); their ids. */
  withdrawStranded(): string[] {
    const live = new Set(this.lanes.filter((lane) => !lane.removed).map((lane) => lane.id))
    const stranded = this.waiting.filter((job) => job.engine && !live.has(job.engine)).map((job) => job.id)
    for (const id of stranded) this.withdraw(id)
    return stranded
  }

  /** Holds `engine`'s waiting jobs (running ones go on) until `resume`. */
  pause(engine = LOCAL_ENGINE): void {
    const lane = this.lane(engine)
    if (lane) lane.paused = true
  }

  /** Lets `engine` start waiting jobs again, in order, up to its limit. */
  resume(engine = LOCAL_ENGINE): void {
    const lane = this.lane(engine)
    if (lane) lane.paused = false
    this.pump()
  }

  /** Whether the local engine is held. */
  get isPaused(): boolean {
    return this.lane(LOCAL_ENGINE)?.paused ?? false
  }

  isActive(id: string): boolean {
    return this.lanes.some((lane) => lane.active.has(id))
  }

  /** The engine job `id` runs on, while it runs. */
  engineOf(id: string): string | undefined {
    return this.lanes.find((lane) => lane.active.has(id))?.id
  }

  get activeCount(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.active.size, 0)
  }

  get waitingIds(): string[] {
    return this.waiting.map((job) => job.id)
  }

  load(): EngineLoad[] {
    return this.lanes.map((lane) => ({
      id: lane.id,
      limit: lane.limit,
      active: [...lane.active],
      paused: lane.paused,
    }))
  }

  private lane(id: string): Lane | undefined {
    return this.lanes.find((lane) => lane.id === id)
  }

  /** The engine `job` can start on now: its own, or the open one with the most free slots. */
  private laneFor(job: Job): Lane | undefined {
    const open = this.lanes.filter(
      (lane) => !lane.paused && lane.active.size < lane.limit && (!job.engine || lane.id === job.engine),
    )
    let best: Lane | undefined
    for (const lane of open) {
      if (!best || lane.limit - lane.active.size > best.limit - best.active.size) best = lane
    }
    return best
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length;) {
      const job = this.waiting[i]!
      const lane = this.laneFor(job)
      if (!lane) {
        i++
        continue
      }
      this.waiting.splice(i, 1)
      // From the start again: the job's first synchronous step may have changed the queue.
      i = 0
      lane.active.add(job.id)
      void job
        .run(lane.id)
        .catch(() => undefined) // jobs report their own failures; the queue only keeps count
        .finally(() => {
          lane.active.delete(job.id)
          this.pump()
        })
    }
  }
}
