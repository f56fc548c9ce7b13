/**
 * Global setup of the faults project: gives the tests a fresh report file (fault-table.ts) and, at the end,
 * prints the table `fault → final state → lost → orphans` and the closing line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FAULT_REPORT_ENV, isLabelled, type FaultRow } from './fault-table'

export function readRows(file: string): FaultRow[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as FaultRow)
}

export function formatTable(rows: FaultRow[]): string {
  const lines = rows.map((r) => {
    const mark = isLabelled(r) ? '' : `  (expected: ${r.expectedState})`
    return `${r.fault} → ${r.finalState} → lost ${r.lost} → orphans ${r.orphans}${mark}`
  })
  const labelled = rows.filter(isLabelled).length
  const lost = rows.reduce((n, r) => n + r.lost, 0)
  const orphans = rows.reduce((n, r) => n + r.orphans, 0)
  lines.push(`faults: ${rows.length} injected, ${labelled} labelled, ${lost} lost, ${orphans} orphans`)
  return lines.join('\n')
}

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'codex-faults-'))
  const file = join(dir, 'rows.jsonl')
  process.env[FAULT_REPORT_ENV] = file
  return () => {
    const rows = readRows(file)
    if (rows.length) console.log(`\n${formatTable(rows)}`)
    rmSync(dir, { recursive: true, force: true })
  }
}
