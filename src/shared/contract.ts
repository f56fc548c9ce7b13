import { z } from 'zod'
import type { DiffResult } from './diff'
import type { TaskEvent } from './events'
import { submitTaskInputSchema, type TaskRecord } from './task'
import type { CallName } from './channels'

export { CALL_NAMES, EVENT_CHANNEL, type CallName } from './channels'

const taskId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'Not a task id')

/**
 * Every call between the UI and the engine: its input schema (validated on the engine's side of every
 * transport) and its output type. The preload exposes exactly these names; the headless server binds the
 * same list to HTTP routes.
 */
export const calls = {
  'tasks.submit': submitTaskInputSchema,
  'tasks.list': z.object({}).strict(),
  'tasks.get': z.object({ id: taskId }).strict(),
  'tasks.cancel': z.object({ id: taskId }).strict(),
  'tasks.followUp': z.object({ id: taskId, prompt: z.string().trim().min(1).max(100_000) }).strict(),
  'tasks.events': z.object({ id: taskId, afterSeq: z.number().int().min(-1).optional() }).strict(),
  'tasks.diff': z.object({ id: taskId }).strict(),
} as const satisfies Record<CallName, z.ZodType>

export interface CallOutputs {
  'tasks.submit': TaskRecord
  'tasks.list': TaskRecord[]
  'tasks.get': TaskRecord
  'tasks.cancel': TaskRecord
  'tasks.followUp': TaskRecord
  'tasks.events': TaskEvent[]
  'tasks.diff': DiffResult
}

export type CallInput<N extends CallName> = z.input<(typeof calls)[N]>
