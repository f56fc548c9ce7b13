import { describe, expect, it } from 'vitest'
import { parseCommandLine } from '../../../src/main/cli/task'
import {
  parseReviewCommand,
  runReviewCommand,
  type ReviewCommand,
  type ReviewEngine,
} from '../../../src/main/cli/task-review'
import type { TaskEvent, TaskEventBody } from '../../../src/shared/events'
import type { TaskRecord, TaskStatus } from '../../../src/shared/task'

const ID = '20261201100000-abc123'

function accepted(...argv: string[]): ReviewCommand {
  const parsed = parseReviewCommand(argv)
  if (!parsed?.ok) throw new Error(`refused: ${parsed?.message}`)
  return parsed.value
}

function refused(...argv: string[]): string {
  const parsed = parseReviewCommand(argv)
  if (!parsed || parsed.ok) throw new Error('accepted')
  return parsed.message
}

describe('npm run task: the review flags', () => {
  it('leaves a new task to the task command line', () => {
    expect(parseReviewCommand(['--folder', '/srv/repo', 'add a README'])).toBeUndefined()
    expect(parseCommandLine(['--folder', '/srv/repo', 'add a README']).ok).toBe(true)
  })

  it('takes --request-changes ID with an optional --note', () => {
    expect(accepted('--request-changes', ID, '--note', 'Add a test.', '--data-dir', '/d')).toEqual({
      kind: 'request-changes',
      id: ID,
      note: 'Add a test.',
      dataDir: '/d',
      json: false,
    })
    expect(accepted(`--request-changes=${ID}`, '--json')).toMatchObject({ id: ID, json: true })
    expect(refused('--request-changes', '../x')).toMatch(/is not a task id/)
    expect(refused('--request-changes', ID, 'stray')).toMatch(/Unexpected argument: "stray"/)
  })

  it('takes --comment ID --file --line N or N-M --side --text', () => {
    const one = accepted('--comment', ID, '--file', 'src/a.ts', '--line', '12', '--text', 'Why?')
    expect(one).toMatchObject({
      kind: 'comment',
      input: {
        action: 'add',
        id: ID,
        path: 'src/a.ts',
        side: 'new',
        startLine: 12,
        endLine: 12,
        text: 'Why?',
      },
    })
    const range = accepted('--comment', ID, '--file', 'a', '--line', '3-5', '--side', 'old', '--text', 't')
    expect(range).toMatchObject({ input: { side: 'old', startLine: 3, endLine: 5 } })
    expect(refused('--comment', ID, '--file', 'a', '--text', 't')).toMatch(/--line N or N-M/)
    expect(refused('--comment', ID, '--file', 'a', '--line', '1-x', '--text', 't')).toMatch(/--line N or N-M/)
    expect(refused('--comment', ID, '--file', 'a', '--line', '5-3', '--text', 't')).toMatch(
      /ends before it starts/,
    )
    expect(refused('--comment', ID, '--file', 'a', '--line', '1', '--side', 'left', '--text', 't')).toMatch(
      /--side: expected new or old/,
    )
    expect(refused('--comment', ID, '--file', 'a', '--line', '1', '--text', '  ')).toMatch(
      /Write the comment/,
    )
    expect(refused('--comment', ID, '--request-changes', ID)).toMatch(/not both/)
    expect(parseReviewCommand(['--request-changes', ID, '--help'])).toEqual({
      ok: false,
      message: '',
      help: true,
    })
  })
})

/** An engine whose review answers as TaskEngine's does: events for the follow-up turn it starts. */
function engineWith(turn: (emit: (body: TaskEventBody) => void) => void) {
  const listeners = new Set<(event: TaskEvent) => void>()
  let record = { id: ID, status: 'review', diff: { files: 1, additions: 2, deletions: 0 } } as TaskRecord
  let seq = 0
  const emit = (body: TaskEventBody): void => {
    if (body.type === 'status') record = { ...record, status: body.status as TaskStatus }
    const event = { ...body, taskId: ID, seq: seq++, at: '2026-12-01T10:00:00.000Z' } as TaskEvent
    for (const listener of listeners) listener(event)
  }
  const notes: string[] = []
  const engine: ReviewEngine = {
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    get: () => record,
    cancel: async () => record,
    review: {
      comment: async () => record,
      requestChanges: async (_id, note) => {
        notes.push(note ?? '')
        emit({ type: 'status', status: 'queued', message: 'Follow-up' })
        setTimeout(() => turn(emit), 5)
        return record
      },
    },
    store: {
      readArtifact: async () => 'diff --git a/x b/x\n',
      paths: () => ({ artifacts: '/d/artifacts' }) as ReturnType<ReviewEngine['store']['paths']>,
    },
  }
  return { engine, notes }
}

describe('npm run task -- --request-changes', () => {
  it('follows the turn it starts to review and prints the diff (exit 0)', async () => {
    const { engine, notes } = engineWith((emit) => {
      emit({ type: 'status', status: 'running' })
      emit({ type: 'status', status: 'review' })
    })
    const printed: string[] = []
    const out: string[] = []
    const code = await runReviewCommand(
      engine,
      { kind: 'request-changes', id: ID, note: 'More tests.', dataDir: '/d', json: false },
      {
        event: (e) => printed.push(e.type === 'status' ? e.status : e.type),
        out: (t) => out.push(t),
        err: () => undefined,
      },
    )
    expect(code).toBe(0)
    expect(notes).toEqual(['More tests.'])
    expect(printed).toEqual(['queued', 'running', 'review'])
    expect(out.join('')).toContain('diff --git a/x b/x')
  })

  it('exits 1 with the reason when the turn fails', async () => {
    const { engine } = engineWith((emit) => emit({ type: 'status', status: 'failed' }))
    const err: string[] = []
    const code = await runReviewCommand(
      engine,
      { kind: 'request-changes', id: ID, dataDir: '/d', json: false },
      { event: () => undefined, out: () => undefined, err: (t) => err.push(t) },
    )
    expect(code).toBe(1)
  })
})
