import { randomBytes } from 'node:crypto'
import type { Settings } from '../../shared/settings'
import { emptyUsage, type submitTaskInputSchema, type TaskRecord } from '../../shared/task'
import type { z } from 'zod'

/**
 * A new task's record from a validated submission: Settings fill what it leaves out (model, limits, each
 * phase's network), so the task keeps what it was started with whatever Settings say later.
 */
export function newTaskRecord(
  input: z.output<typeof submitTaskInputSchema>,
  settings: Settings,
  idPrefix = '',
): TaskRecord {
  const now = new Date().toISOString()
  return {
    id: newTaskId(idPrefix),
    title: input.title?.trim() || titleFrom(input.prompt),
    prompt: input.prompt,
    source: input.source,
    status: 'queued',
    model: input.model ?? settings.model,
    runtime: input.runtime ?? settings.runtime,
    // Kept as chosen when submitted, like the model: a later change in Settings does not move a task.
    reasoningEffort: input.reasoningEffort ?? settings.reasoningEffort,
    refreshSetup: input.refreshSetup,
    engine: input.engine,
    focusFiles: input.focusFiles,
    setupScript: input.setupScript,
    limits: { ...settings.limits, ...definedOnly(input.limits ?? {}) },
    network: {
      setup: input.network?.setup ?? settings.network.setup,
      agent: input.network?.agent ?? settings.network.agent,
    },
    createdAt: now,
    updatedAt: now,
    usage: emptyUsage(),
    turns: 0,
  }
}

function newTaskId(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return `${prefix}${stamp}-${randomBytes(3).toString('hex')}`
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

function titleFrom(prompt: string): string {
  const line = prompt.trim().split('\n')[0] ?? ''
  return line.length > 80 ? `${line.slice(0, 77)}…` : line
}
