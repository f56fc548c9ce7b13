import { describe, expect, it } from 'vitest'
import { containerOutput } from '../../../src/main/server/seed-artifacts'
import { seedStatusJson, type AutoPrState } from '../../../src/main/server/seed-status'
import type { TaskEvent } from '../../../src/shared/events'
import { emptyUsage, type TaskRecord } from '../../../src/shared/task'

const task = (patch: Partial<TaskRecord> = {}): TaskRecord => ({
  id: 'test-1',
  title: 'Fix it',
  prompt: 'Fix the failing test',
  source: { kind: 'git', url: 'https://github.com/acme/shop.git' },
  status: 'queued',
  model: 'm',
  focusFiles: ['src/main.py'],
  limits: { maxSteps: 1, maxTokens: 1000, maxCostUsd: 1, timeLimitMs: 1000 },
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:05:00.000Z',
  usage: emptyUsage(),
  turns: 0,
  ...patch,
})
const none: AutoPrState = { state: 'none' }
const word = (t: TaskRecord, auto: AutoPrState = none): unknown => seedStatusJson(t, auto).Status
const message = (t: TaskRecord, auto: AutoPrState = none): unknown => seedStatusJson(t, auto).Message
const PR = {
  kind: 'pull_request' as const,
  at: '',
  url: 'https://github.com/acme/shop/pull/7',
  number: 7,
  repo: 'acme/shop',
  branch: 'ai-changes-1',
  forked: false,
  draft: false,
}
const review = task({
  status: 'review',
  baselineCommit: 'abc',
  diff: { files: 2, additions: 3, deletions: 1 },
})

describe('the seed status', () => {
  it("maps our statuses to the seed's TaskStatus values", () => {
    expect(word(task())).toBe('pending')
    expect(word(task({ status: 'preparing' }))).toBe('cloning')
    expect(message(task({ status: 'preparing' }))).toBe('Cloning repository...')
    expect(word(task({ status: 'preparing', baselineCommit: 'abc' }))).toBe('preparing')
    expect(word(task({ status: 'preparing', source: { kind: 'zip', path: '/u/x/code.zip' } }))).toBe(
      'preparing',
    )
    expect(word(task({ status: 'setting_up', baselineCommit: 'abc' }))).toBe('preparing')
    expect(word(task({ status: 'running' }))).toBe('running')
    expect(word(review)).toBe('completed')
    expect(message(review)).toBe('Completed: 2 files changed; the diff is in diff.patch.')
    for (const status of ['failed', 'cancelled', 'interrupted'] as const) {
      expect([status, word(task({ status }))]).toEqual([status, 'failed'])
    }
    const error = { kind: 'git_failed' as const, message: 'The clone failed.', hint: 'Check the URL.' }
    expect(message(task({ status: 'failed', error }))).toBe('The clone failed. Check the URL.')
    expect(message(task({ status: 'cancelled' }))).toBe('The task was cancelled.')
  })

  it('carries the PR URL, and says what became of an auto-PR', () => {
    const opened = { ...review, outcomes: [PR] }
    expect(seedStatusJson(opened, none)).toMatchObject({
      Status: 'completed',
      Message: `Completed. PR URL: ${PR.url}`,
      pr_url: PR.url,
    })
    expect([word(review, { state: 'waiting' }), message(review, { state: 'opening' })]).toEqual([
      'running',
      'Opening the pull request',
    ])
    const refused = { kind: 'conflict' as const, message: 'Refused.', hint: 'Fork it.' }
    expect(seedStatusJson(review, { state: 'failed', error: refused })).toMatchObject({
      Status: 'failed',
      Message: 'Refused. Fork it.',
      status: 'review',
      error: refused,
    })
    expect(seedStatusJson(review, { state: 'lost' })).toMatchObject({
      Status: 'failed',
      Message: expect.stringContaining('kept in memory only'),
    })
    // A PR opened from the app after all wins over the auto-PR's failure.
    expect(word(opened, { state: 'lost' })).toBe('completed')
  })

  it("has the seed's fields next to ours, and no paths", () => {
    const zip = task({ source: { kind: 'zip', path: '/data/uploads/123-abc/shop.zip' } })
    expect(seedStatusJson(zip, none)).toEqual({
      ID: 'test-1',
      Status: 'pending',
      Message: 'Waiting for a free slot',
      TaskDescription: 'Fix the failing test',
      TargetFile: 'src/main.py',
      GitURL: '',
      ZipFileName: 'shop.zip',
      CreatedAt: '2026-12-01T10:00:00.000Z',
      UpdatedAt: '2026-12-01T10:05:00.000Z',
      task_id: 'test-1',
      status: 'queued',
    })
  })
})

describe('docker_container.log', () => {
  it('is what ran in the containers and what it printed, in order', () => {
    const at = '2026-12-01T10:00:01.000Z'
    const base = { taskId: 't', at }
    const events: TaskEvent[] = [
      { ...base, seq: 0, type: 'log', stream: 'setup', text: 'installing\n' },
      { ...base, seq: 1, type: 'model_text', step: 1, text: 'thinking' },
      { ...base, seq: 2, type: 'tool_call', step: 1, callId: 'a', name: 'shell', args: { command: 'ls' } },
      {
        ...base,
        seq: 3,
        type: 'tool_result',
        step: 1,
        callId: 'a',
        name: 'shell',
        ok: true,
        output: 'Exit code: 0',
        durationMs: 1,
      },
      { ...base, seq: 4, type: 'tool_call', step: 2, callId: 'b', name: 'finish', args: { summary: 'done' } },
      {
        ...base,
        seq: 5,
        type: 'tool_result',
        step: 2,
        callId: 'b',
        name: 'finish',
        ok: true,
        output: 'done',
        durationMs: 0,
      },
    ]
    expect(containerOutput(events)).toBe('installing\n10:00:01 $ ls\nExit code: 0\n')
  })
})
