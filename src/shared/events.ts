import type { AppErrorData } from './errors'
import type { DiffSummary } from './diff'
import type { NetworkBlock } from './network'
import type { TaskOutcome, TaskRecord, TaskStatus } from './task'

/** What the agent loop reports, step by step. */
export type AgentEvent =
  | { type: 'model_text'; step: number; text: string }
  | { type: 'tool_call'; step: number; callId: string; name: string; args: unknown }
  | {
      type: 'tool_result'
      step: number
      callId: string
      name: string
      ok: boolean
      output: string
      durationMs: number
    }
  | {
      type: 'usage'
      step: number
      promptTokens: number
      completionTokens: number
      costUsd: number
      /** The part of `promptTokens` served from the prompt cache. */
      cachedPromptTokens?: number
      /** False when the model has no price: `costUsd` is 0 and the cost limit cannot be checked. */
      costKnown?: boolean
    }
  | { type: 'retry'; step: number; attempt: number; delayMs: number; reason: string }
  /**
   * Streamed model output, while the reply is being written (coalesced: at most one event per ~50 ms a step).
   * `text` is appended to what the step's earlier deltas said; the step's `model_text` replaces it all.
   */
  | { type: 'model_text_delta'; step: number; text: string }
  /**
   * A streamed tool call: `callId` and `name` once they are known, `argsDelta` appended to its arguments so
   * far. `index`: its place among the step's calls. The `tool_call` event replaces it.
   */
  | {
      type: 'tool_call_delta'
      step: number
      index: number
      callId?: string
      name?: string
      argsDelta: string
    }
  /** The stream of step `step` broke off: whatever its deltas showed is void (the call is retried whole). */
  | { type: 'model_stream_reset'; step: number; reason: string }
  /**
   * The history was compacted before step `step`'s model call (estimated prompt tokens before and after).
   * `summary`: the handoff summary the model wrote ('' when shortening old tool outputs was enough); the
   * summary call's usage, when there was one, is in promptTokens/completionTokens/costUsd (not a step).
   */
  | {
      type: 'compaction'
      step: number
      beforeTokens: number
      afterTokens: number
      summary: string
      promptTokens?: number
      completionTokens?: number
      costUsd?: number
    }

export type ProgressPhase = 'import' | 'clone' | 'image' | 'container' | 'setup'

/** What the engine reports about a task: its own events and the agent's. */
export type TaskEventBody =
  | AgentEvent
  | { type: 'status'; status: TaskStatus; message?: string }
  | { type: 'progress'; phase: ProgressPhase; message: string; ratio?: number }
  | { type: 'log'; stream: 'setup' | 'system'; text: string }
  /** A turn ended with this diff of the whole task; `turn` (absent on old events): which turn, for its own diff. */
  | { type: 'diff'; diff: DiffSummary; turn?: number }
  | { type: 'outcome'; outcome: TaskOutcome }
  | { type: 'error'; error: AppErrorData }
  | ({ type: 'network_blocked' } & NetworkBlock)

export type TaskEvent = TaskEventBody & { taskId: string; seq: number; at: string }

/** Progress of the agent image build (Settings → Build, or before a first task). */
export interface ImageProgressEvent {
  line: string
  ratio?: number
}

/** Everything the engine pushes to the UI on the one event channel. */
export type AppEvent =
  | { kind: 'task'; event: TaskEvent }
  | { kind: 'image'; progress: ImageProgressEvent }
  | { kind: 'task-updated'; task: TaskRecord }
  /** The Docker engine went away or came back (pushed on each edge; `system.status` has the details). */
  | { kind: 'docker'; reachable: boolean; error?: AppErrorData }
