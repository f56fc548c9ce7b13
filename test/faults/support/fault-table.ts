/**
 * The fault suite's table: each fault test records one row (what was injected, the state the task ended
 * in, what was expected, what of the store was lost, which containers were left behind), and the suite's
 * global teardown (fault-report.ts) prints every row and the closing line
 * `faults: N injected, N labelled, 0 lost, 0 orphans`.
 */
import { appendFileSync } from 'node:fs'
import { expect } from 'vitest'

export interface FaultRow {
  /** What was injected, in a few words: "dockerd killed mid-turn", "model 429 with Retry-After". */
  fault: string
  /** The task's final state as the engine shows it (status, and the message's start). */
  finalState: string
  /** The state the behaviour promises for this fault. */
  expectedState: string
  /** Items of the store that could not be read back afterwards (task records, event lines, workspaces). */
  lost: number
  /** Containers of the task (label codex-sys.task) still there afterwards. */
  orphans: number
}

export const FAULT_REPORT_ENV = 'CODEX_FAULT_REPORT'

/** A row is "labelled" when the task ended in the promised state. */
export const isLabelled = (row: FaultRow): boolean => row.finalState === row.expectedState

/** Records a row for the closing table (a test still asserts the row itself). */
export function recordFault(row: FaultRow): void {
  const file = process.env[FAULT_REPORT_ENV]
  if (!file)
    throw new Error(`${FAULT_REPORT_ENV} is not set: run the fault suite through vitest's faults project`)
  appendFileSync(file, `${JSON.stringify(row)}\n`)
}

/** Records the row, then asserts it: the promised state, nothing lost, no container left. */
export function expectFault(row: FaultRow, notes?: string): void {
  recordFault(row)
  expect(row, notes).toEqual({ ...row, finalState: row.expectedState, lost: 0, orphans: 0 })
}
