import { awaitsFirstClone, type TaskRecord } from '../../../../shared/task'
import type { Progress } from './timeline-model'

/** What the task page's progress line shows: a label, and a ratio when one is known. */
export interface ProgressLine {
  message: string
  ratio?: number
}

export const CLONING = 'Cloning…'
export const PROCESSING = 'Processing…'

/**
 * The progress line of a live task, in the original service's words where ours differ (seed 003's
 * statuses: cloning, processing, pushing): "Cloning…" while a Git source is cloned (git's own stage
 * after it: "Cloning… Receiving objects"), "Processing…" while the agent works. Undefined when there is
 * nothing to show.
 */
export function progressLine(task: TaskRecord, progress: Progress | undefined): ProgressLine | undefined {
  switch (task.status) {
    case 'preparing':
    case 'setting_up':
      if (progress?.phase === 'clone') {
        // Git's stages ("Receiving objects") do not say it; our last one does ("Cloned main at …").
        const said = /^clon/i.test(progress.message)
        return {
          message: said ? progress.message : `${CLONING} ${progress.message}`.trim(),
          ratio: progress.ratio,
        }
      }
      if (progress) return { message: progress.message, ratio: progress.ratio }
      // Before git's first progress line.
      return task.status === 'preparing' && awaitsFirstClone(task) ? { message: CLONING } : undefined
    case 'running':
      return { message: PROCESSING }
    default:
      return undefined
  }
}
