import { isSettled } from '../../shared/task'
import type { TaskEngine } from '../engine/task-engine'
import type { SeedProgress } from './seed-status'

const MAX_MESSAGE = 300

/**
 * The newest progress of each unsettled task, as the engine reports it (clone, import, image build,
 * container, setup), for the seed status's Status (`cloning`) and Message. Held in memory for this server
 * process; a task seen only after a restart gets the generic word of its status.
 */
export class SeedProgressTracker {
  private readonly latest = new Map<string, SeedProgress>()
  private readonly stop: () => void

  constructor(engine: TaskEngine) {
    this.stop = engine.subscribe((event) => {
      if (event.type === 'progress') {
        this.latest.set(event.taskId, { phase: event.phase, message: event.message.slice(0, MAX_MESSAGE) })
      } else if (event.type === 'status') {
        if (isSettled(event.status)) this.latest.delete(event.taskId)
        else this.latest.set(event.taskId, { message: (event.message ?? '').slice(0, MAX_MESSAGE) })
      }
    })
  }

  of(id: string): SeedProgress | undefined {
    return this.latest.get(id)
  }

  close(): void {
    this.stop()
    this.latest.clear()
  }
}
