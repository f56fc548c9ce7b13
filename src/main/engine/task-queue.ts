/**
 * Runs at most `limit` jobs at once; the rest wait in the order they came.
 * A job that has not started can be withdrawn. While paused (Docker went away), no waiting job starts.
 */
export class TaskQueue {
  private readonly waiting: Array<{ id: string; run: () => Promise<void> }> = []
  private readonly active = new Set<string>()
  private paused = false

  constructor(private limit: number) {}

  enqueue(id: string, run: () => Promise<void>): void {
    this.waiting.push({ id, run })
    this.pump()
  }

  /** Removes a job that has not started; true when it was waiting. */
  withdraw(id: string): boolean {
    const index = this.waiting.findIndex((job) => job.id === id)
    if (index < 0) return false
    this.waiting.splice(index, 1)
    return true
  }

  setLimit(limit: number): void {
    this.limit = limit
    this.pump()
  }

  /** Holds every waiting job where it is (running ones go on) until `resume`. */
  pause(): void {
    this.paused = true
  }

  /** Lets waiting jobs start again, in order, up to the limit. */
  resume(): void {
    this.paused = false
    this.pump()
  }

  get isPaused(): boolean {
    return this.paused
  }

  isActive(id: string): boolean {
    return this.active.has(id)
  }

  get activeCount(): number {
    return this.active.size
  }

  get waitingIds(): string[] {
    return this.waiting.map((job) => job.id)
  }

  private pump(): void {
    while (!this.paused && this.active.size < this.limit && this.waiting.length) {
      const job = this.waiting.shift()!
      this.active.add(job.id)
      void job
        .run()
        .catch(() => undefined) // jobs report their own failures; the queue only keeps count
        .finally(() => {
          this.active.delete(job.id)
          this.pump()
        })
    }
  }
}
