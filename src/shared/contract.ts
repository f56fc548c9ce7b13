import { z } from 'zod'
import type { CallName } from './channels'
import type { DiffResult } from './diff'
import type { TaskEvent } from './events'
import { settingsPatchSchema, type Settings } from './settings'
import { SECRET_NAMES, type SecretsStatus, type SystemStatus } from './system'
import { submitTaskInputSchema, type TaskRecord } from './task'

export { CALL_NAMES, EVENT_CHANNEL, type CallName } from './channels'

const taskId = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'Not a task id')
const none = z.object({}).strict()

/** Artifacts a user can open from a task (logs, the patch, the prompt, the summary). */
export const ARTIFACT_NAMES = ['agent.log', 'setup.log', 'diff.patch', 'prompt.md', 'summary.md'] as const
export type ArtifactName = (typeof ARTIFACT_NAMES)[number]

/**
 * Every call between the UI and the engine: its input schema (validated on the engine's side of every
 * transport) and its output type. The preload exposes exactly these names; the headless server binds the
 * same list to HTTP routes.
 */
export const calls = {
  'tasks.submit': submitTaskInputSchema,
  'tasks.list': none,
  'tasks.get': z.object({ id: taskId }).strict(),
  'tasks.cancel': z.object({ id: taskId }).strict(),
  'tasks.followUp': z.object({ id: taskId, prompt: z.string().trim().min(1).max(100_000) }).strict(),
  'tasks.events': z.object({ id: taskId, afterSeq: z.number().int().min(-1).optional() }).strict(),
  'tasks.diff': z.object({ id: taskId }).strict(),
  'tasks.artifact': z.object({ id: taskId, name: z.enum(ARTIFACT_NAMES) }).strict(),
  /** Files (workspace-relative paths) left out of what gets published. */
  'tasks.setExcluded': z
    .object({ id: taskId, paths: z.array(z.string().min(1).max(4096)).max(100_000) })
    .strict(),
  'settings.get': none,
  'settings.update': settingsPatchSchema,
  'secrets.status': none,
  'secrets.set': z
    .object({ name: z.enum(SECRET_NAMES), value: z.string().trim().min(1).max(10_000) })
    .strict(),
  'secrets.delete': z.object({ name: z.enum(SECRET_NAMES) }).strict(),
  'system.status': none,
  'system.buildImage': none,
  'dialog.pickFolder': none,
  'dialog.pickZip': none,
  'shell.openExternal': z.object({ url: z.url({ protocol: /^https?$/ }) }).strict(),
} as const satisfies Record<CallName, z.ZodType>

export interface CallOutputs {
  'tasks.submit': TaskRecord
  'tasks.list': TaskRecord[]
  'tasks.get': TaskRecord
  'tasks.cancel': TaskRecord
  'tasks.followUp': TaskRecord
  'tasks.events': TaskEvent[]
  'tasks.diff': DiffResult
  'tasks.artifact': { name: ArtifactName; content: string | null }
  'tasks.setExcluded': TaskRecord
  'settings.get': Settings
  'settings.update': Settings
  'secrets.status': SecretsStatus
  'secrets.set': SecretsStatus
  'secrets.delete': SecretsStatus
  'system.status': SystemStatus
  'system.buildImage': { tag: string }
  /** null when the user closed the dialog. */
  'dialog.pickFolder': string | null
  'dialog.pickZip': string | null
  'shell.openExternal': null
}

export type CallInput<N extends CallName> = z.input<(typeof calls)[N]>
export type CallOutput<N extends CallName> = CallOutputs[N]
