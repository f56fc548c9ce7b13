import type { SubmitTaskInput, TaskRecord } from '../../../../shared/task'

/** "Retry from scratch": a new task with the same source, prompt and options as `task`. */
export function retryInput(task: TaskRecord): SubmitTaskInput {
  return {
    source: task.source,
    prompt: task.prompt,
    title: task.title,
    focusFiles: task.focusFiles,
    model: task.model,
    ...(task.runtime ? { runtime: task.runtime } : {}),
    ...(task.reasoningEffort ? { reasoningEffort: task.reasoningEffort } : {}),
    ...(task.setupScript ? { setupScript: task.setupScript } : {}),
    limits: task.limits,
    ...(task.network ? { network: task.network } : {}),
  }
}
