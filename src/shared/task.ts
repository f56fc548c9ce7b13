import { z } from 'zod'
import type { AppErrorData, ErrorKind } from './errors'
import type { DiffSummary } from './diff'
import { phaseNetworkSchema, type TaskNetwork } from './network'
import { engineIdSchema } from './engines'
import type { DiscardRecord, HunkExclusion, ReviewComment, TurnSnapshot } from './review'

export const TASK_STATUSES = [
  'queued',
  'preparing',
  'setting_up',
  'running',
  'review',
  'failed',
  'cancelled',
  'interrupted',
] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

/** Statuses from which a task never moves on by itself. */
export const SETTLED_STATUSES: readonly TaskStatus[] = ['review', 'failed', 'cancelled', 'interrupted']
export const isSettled = (status: TaskStatus): boolean => SETTLED_STATUSES.includes(status)

export const taskSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path: z.string().min(1).max(4096) }),
  z.object({ kind: z.literal('zip'), path: z.string().min(1).max(4096) }),
  z.object({
    kind: z.literal('git'),
    url: z.string().min(1).max(2048),
    branch: z.string().min(1).max(255).optional(),
  }),
])
export type TaskSource = z.infer<typeof taskSourceSchema>

/** A model's context window in tokens (an override of the built-in table). */
export const contextWindowSchema = z.number().int().min(1000).max(10_000_000)

export const taskLimitsSchema = z.object({
  maxSteps: z.number().int().min(1).max(1000),
  maxTokens: z.number().int().min(1000).max(100_000_000),
  maxCostUsd: z.number().min(0).max(10_000),
  timeLimitMs: z
    .number()
    .int()
    .min(1000)
    .max(24 * 3600_000),
  /** The model's context window in tokens; unset: Settings', else the built-in table's. */
  contextWindow: contextWindowSchema.optional(),
})
export type TaskLimits = z.infer<typeof taskLimitsSchema>

/**
 * What runs the agent: the built-in loop (model calls from the host, tools in the sandbox), or OpenAI's
 * Codex CLI inside the sandbox, reaching the model only through the host's model proxy.
 */
export const AGENT_RUNTIMES = ['builtin', 'codex'] as const
export const agentRuntimeSchema = z.enum(AGENT_RUNTIMES)
export type AgentRuntime = z.infer<typeof agentRuntimeSchema>

/** How hard a reasoning model thinks (the API's `reasoning.effort`); unset: the model's default. */
export const REASONING_EFFORTS = ['minimal', 'low', 'medium', 'high'] as const
export const reasoningEffortSchema = z.enum(REASONING_EFFORTS)
export type ReasoningEffort = z.infer<typeof reasoningEffortSchema>

export const submitTaskInputSchema = z.object({
  source: taskSourceSchema,
  prompt: z.string().trim().min(1, 'Describe the task').max(100_000),
  title: z.string().max(200).optional(),
  focusFiles: z.array(z.string().min(1).max(1024)).max(100).default([]),
  model: z.string().min(1).max(200).optional(),
  /** The agent runtime; Settings' default when not given. */
  runtime: agentRuntimeSchema.optional(),
  /** The reasoning effort; Settings' when not given, else the model's default. */
  reasoningEffort: reasoningEffortSchema.optional(),
  /** Run setup even when the setup cache holds its result ("Run setup again"); the result is saved anew. */
  refreshSetup: z.boolean().optional(),
  /** The engine to run on (shared/engines.ts); unset: whichever has a free slot first. */
  engine: engineIdSchema.optional(),
  /** A setup script run (with network) before the agent; overrides the repository's setup.sh. */
  setupScript: z.string().max(200_000).optional(),
  limits: taskLimitsSchema.partial().optional(),
  /** The network of each phase; Settings' defaults for a phase not given. */
  network: z
    .object({ setup: phaseNetworkSchema.optional(), agent: phaseNetworkSchema.optional() })
    .strict()
    .optional(),
})
export type SubmitTaskInput = z.input<typeof submitTaskInputSchema>

/** What became of a reviewed change; a task keeps every outcome, newest last. */
export type TaskOutcome =
  | {
      kind: 'pull_request'
      at: string
      url: string
      number: number
      /** owner/name the pull request was opened on. */
      repo: string
      branch: string
      /** The head came from the user's fork. */
      forked: boolean
      draft: boolean
    }
  | { kind: 'pushed'; at: string; remote: string; branch: string; commit: string }
  | {
      kind: 'applied'
      at: string
      folder: string
      mode: 'files' | 'branch'
      files: string[]
      branch?: string
      commit?: string
      /** What the folder's disk could not hold as it is (symlinks written as files holding their targets). */
      warnings?: string[]
    }
  | {
      kind: 'exported'
      at: string
      format: 'patch' | 'zip'
      artifact: 'export.patch' | 'export.zip'
      bytes: number
      /** Paths left out because their names are unsafe to write on some system (`GIT~1`, `CON`, `a:b`). */
      omitted?: Array<{ path: string; reason: string }>
    }

export interface TaskUsage {
  steps: number
  promptTokens: number
  completionTokens: number
  /** What the priced answers cost; with `costKnown: false` some answers had no price and are not in it. */
  costUsd: number
  /** The part of `promptTokens` the API served from its prompt cache (priced at the cached rate). */
  cachedPromptTokens?: number
  /** False once an answer came from a model without a price (absent: every answer was priced). */
  costKnown?: boolean
}

export interface TaskRecord {
  id: string
  title: string
  prompt: string
  source: TaskSource
  status: TaskStatus
  model: string
  /** The agent runtime, fixed at submit (absent on records from before it existed: the built-in loop). */
  runtime?: AgentRuntime
  /** The reasoning effort, fixed at submit (absent: Settings' at run time, else the model's default). */
  reasoningEffort?: ReasoningEffort
  refreshSetup?: boolean
  /** The engine the task runs on: chosen at submit, or the one its first turn started on; never moved. */
  engine?: string
  focusFiles: string[]
  setupScript?: string
  limits: TaskLimits
  /** The network of each phase, fixed at submit (absent on records from before it existed: Settings' then). */
  network?: TaskNetwork
  /** Hosts the user allowed while the task ran ("Allow for this task and retry"), on top of `network`. */
  allowedHosts?: string[]
  createdAt: string
  updatedAt: string
  startedAt?: string
  finishedAt?: string
  /** The commit of the original files in the task's private git directory. */
  baselineCommit?: string
  /** For git sources: the branch that was checked out. */
  sourceBranch?: string
  usage: TaskUsage
  turns: number
  summary?: string
  diff?: DiffSummary
  /** Workspace-relative paths the user left out of what gets published. */
  excludedPaths?: string[]
  /** Hunks or lines of included files left out of what gets published (recomputed after each turn). */
  excludedHunks?: HunkExclusion[]
  /** The review's comments on the diff. */
  comments?: ReviewComment[]
  /** Changes discarded from the workspace since the last turn started, oldest first (undo: newest). */
  discards?: DiscardRecord[]
  /** Each finished turn's snapshots in the private git dir, oldest first. */
  turnSnapshots?: TurnSnapshot[]
  /** For git sources: the commit the task started from (the base of a published branch). */
  sourceCommit?: string
  outcomes?: TaskOutcome[]
  /** A follow-up waiting to run (queued, or cut short by a restart): it runs as a follow-up, never as a first turn. */
  pendingFollowUp?: string
  /**
   * The turn in progress, as far as it got: `turns` when it started (stale once `turns` moved on), its review
   * start, and `step` once the agent phase began (conversation.json holds the history up to that step).
   */
  checkpoint?: TurnCheckpoint
  /** A resume waiting to run: why the turn it goes on from stopped (told to the agent). */
  pendingResume?: string
  /** Whether `tasks.resume` would take it (see resumeCheck), set when the task settles. */
  resumable?: boolean
  /** A branch pushed for a pull request not opened yet: a retry reuses it instead of pushing again. */
  pendingPublish?: { remote: string; branch: string; commit: string }
  error?: AppErrorData
}

export const emptyUsage = (): TaskUsage => ({ steps: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 })

/** A Git source not cloned yet: its first turn, before the baseline (the seed's `cloning`). */
export const awaitsFirstClone = (task: TaskRecord): boolean =>
  task.source.kind === 'git' && !task.baselineCommit && task.turns === 0

export interface TurnCheckpoint {
  turns: number
  review: { turn: number; start: string }
  step?: number
}

/** Failures from outside the task (Docker, the model API, the disk, a stop of the app): a resume may get past them. */
export const RESUMABLE_ERROR_KINDS: readonly ErrorKind[] = [
  'interrupted',
  'docker_unavailable',
  'container_failed',
  'model_error',
  'rate_limited',
  'disk_full',
]

/** `fromScratch`: the import had not finished, so the resume starts again from the import. */
export type ResumeCheck = { ok: true; fromScratch: boolean } | { ok: false; why: string }

/** Whether a task can be resumed, and why not: the engine, the UI and the CLI all ask this. */
export function resumeCheck(task: TaskRecord): ResumeCheck {
  if (task.status !== 'interrupted' && task.status !== 'failed') {
    return {
      ok: false,
      why: `Only an interrupted or failed task can be resumed; this one is ${task.status}.`,
    }
  }
  const kind = task.error?.kind ?? (task.status === 'interrupted' ? 'interrupted' : 'internal')
  if (!RESUMABLE_ERROR_KINDS.includes(kind)) {
    return {
      ok: false,
      why: `This task failed for a reason of its own (${kind}), which a resume would meet again. Retry it from scratch instead.`,
    }
  }
  const agentStarted = task.checkpoint?.turns === task.turns && task.checkpoint.step !== undefined
  if (task.turns > 0 && !agentStarted && !task.pendingFollowUp) {
    return { ok: false, why: 'The follow-up that was cut off is not kept, so there is nothing to resume.' }
  }
  return { ok: true, fromScratch: !task.baselineCommit }
}
