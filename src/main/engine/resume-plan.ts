import type { TaskRecord } from '../../shared/task'
import type { TurnStart } from './turn-review'

/** What a turn is asked to be: the first one, a follow-up, or a resume of the turn that was cut off. */
export type TurnPlan = { kind: 'first' } | { kind: 'followUp'; prompt: string } | { kind: 'resume' }

/** What the turn does, worked out from its plan and the record. */
export interface TurnSteps {
  /** The follow-up's text (a resumed follow-up's too); absent: the task's first turn. */
  followUp?: string
  /** The review start of the turn this one goes on with (its own diff then holds both parts). */
  review?: TurnStart
  /** Run the setup script (a first turn whose agent phase had not begun). */
  setup: boolean
  /** Go on from the saved conversation, with this note to the agent. */
  note?: string
}

/** The status message of a turn's start, by its plan. */
export const PLAN_MESSAGES: Record<TurnPlan['kind'], string | undefined> = {
  first: undefined,
  followUp: 'Follow-up',
  resume: 'Resume',
}

/**
 * The steps of a turn. A resume goes on from what the record says the cut-off turn reached: not imported →
 * the whole first turn again; the agent phase begun → the saved conversation plus a note, no setup; else
 * that turn from its setup (a first turn) or its follow-up, keeping its review start.
 */
export function turnSteps(task: TaskRecord, plan: TurnPlan): TurnSteps {
  if (plan.kind === 'first') return { setup: true }
  if (plan.kind === 'followUp') return { followUp: plan.prompt, setup: false }
  if (!task.baselineCommit) return { setup: true }
  const checkpoint = task.checkpoint?.turns === task.turns ? task.checkpoint : undefined
  const followUp = task.turns > 0 ? task.pendingFollowUp : undefined
  const review = checkpoint?.review
  if (checkpoint?.step !== undefined) {
    const why = task.pendingResume ?? 'codex-sys stopped'
    return { followUp, review, setup: false, note: resumeNote(why, checkpoint.step) }
  }
  return { followUp, review, setup: task.turns === 0 }
}

/** The agent's note at a resume: why the turn stopped and where, and that the workspace is as it was. */
export function resumeNote(why: string, step: number): string {
  const where = step > 0 ? `after step ${step}` : 'before its first step'
  const reason = why.trim().replace(/[.\s]+$/, '')
  return (
    `[codex-sys] The previous turn was interrupted (${reason}) ${where}; the workspace is as it left it. ` +
    'Continue the task.'
  )
}
