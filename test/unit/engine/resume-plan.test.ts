import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { agentImageDir } from '../../../src/main/cli/paths'
import { createDockerClient } from '../../../src/main/docker/client'
import { resumeNote, turnSteps } from '../../../src/main/engine/resume-plan'
import { TaskEngine } from '../../../src/main/engine/task-engine'
import type { ErrorKind } from '../../../src/shared/errors'
import type { TaskEvent } from '../../../src/shared/events'
import { defaultSettings } from '../../../src/shared/settings'
import { emptyUsage, resumeCheck, type TaskRecord } from '../../../src/shared/task'
import { waitForStatus } from '../../support/engine'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

const review = { turn: 1, start: 'c0ffee' }

function record(patch: Partial<TaskRecord>): TaskRecord {
  return {
    id: 'unit-20260101000000-abcdef',
    title: 't',
    prompt: 'do it',
    source: { kind: 'folder', path: '/nowhere' },
    status: 'failed',
    model: 'scripted',
    focusFiles: [],
    limits: defaultSettings().limits,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    usage: emptyUsage(),
    turns: 0,
    baselineCommit: 'c0ffee',
    ...patch,
  }
}

const failed = (kind: ErrorKind): TaskRecord => record({ error: { kind, message: `${kind} happened.` } })

/** A real engine on a temporary data dir whose Docker socket does not exist. */
async function openEngine(apiKey: string | undefined): Promise<{ engine: TaskEngine; events: TaskEvent[] }> {
  const root = await tempDir()
  const engine = await TaskEngine.open({
    dataDir: join(root, 'data'),
    settings: () => defaultSettings(),
    apiKey: async () => apiKey,
    agentImage: { contextDir: agentImageDir(), baseImage: 'codex-sys/none:unit' },
    docker: createDockerClient({ host: `unix://${join(root, 'no-docker.sock')}` }),
    idPrefix: 'unit-',
  })
  const events: TaskEvent[] = []
  engine.subscribe((event) => events.push(event))
  onTestFinished(() => engine.close())
  return { engine, events }
}

describe('which tasks can be resumed', () => {
  it('takes interrupted tasks and failures from outside the task, never its own', () => {
    expect(resumeCheck(record({ status: 'interrupted' }))).toEqual({ ok: true, fromScratch: false })
    for (const kind of ['docker_unavailable', 'model_error', 'rate_limited', 'disk_full'] as const) {
      expect(resumeCheck(failed(kind)), kind).toEqual({ ok: true, fromScratch: false })
    }
    for (const kind of [
      'budget_exceeded',
      'timeout',
      'auth_failed',
      'setup_failed',
      'import_failed',
    ] as const) {
      expect(resumeCheck(failed(kind)), kind).toMatchObject({ ok: false, why: expect.stringContaining(kind) })
    }
    for (const status of ['review', 'cancelled', 'running', 'queued'] as const) {
      expect(resumeCheck(record({ status }))).toMatchObject({
        ok: false,
        why: expect.stringContaining(status),
      })
    }
  })

  it('starts again from the import when it had not finished, and needs a cut-off follow-up’s text', () => {
    expect(resumeCheck(record({ status: 'interrupted', baselineCommit: undefined }))).toEqual({
      ok: true,
      fromScratch: true,
    })
    const followUp = record({ status: 'interrupted', turns: 1 })
    expect(resumeCheck(followUp)).toMatchObject({ ok: false, why: expect.stringMatching(/follow-up/) })
    expect(resumeCheck({ ...followUp, pendingFollowUp: 'more' })).toMatchObject({ ok: true })
    expect(resumeCheck({ ...followUp, checkpoint: { turns: 1, review, step: 3 } })).toMatchObject({
      ok: true,
    })
  })
})

describe('what a resumed turn does', () => {
  const resume = { kind: 'resume' } as const
  it('goes on from the saved conversation once the agent phase had begun', () => {
    const task = record({
      status: 'interrupted',
      checkpoint: { turns: 0, review, step: 2 },
      pendingResume: 'codex-sys stopped while this task was running.',
    })
    expect(turnSteps(task, resume)).toEqual({
      followUp: undefined,
      review,
      setup: false,
      note: '[codex-sys] The previous turn was interrupted (codex-sys stopped while this task was running) after step 2; the workspace is as it left it. Continue the task.',
    })
  })

  it('runs setup and the agent again when the agent phase had not begun; a follow-up again as a follow-up', () => {
    expect(turnSteps(record({ checkpoint: { turns: 0, review } }), resume)).toEqual({
      followUp: undefined,
      review,
      setup: true,
    })
    const followUp = record({ turns: 1, pendingFollowUp: 'more', checkpoint: { turns: 1, review } })
    expect(turnSteps(followUp, resume)).toEqual({ followUp: 'more', review, setup: false })
    // A checkpoint of an earlier turn says nothing of this one.
    const stale = record({ turns: 1, pendingFollowUp: 'more', checkpoint: { turns: 0, review, step: 4 } })
    expect(turnSteps(stale, resume)).toEqual({ followUp: 'more', review: undefined, setup: false })
    expect(turnSteps(record({ baselineCommit: undefined }), resume)).toEqual({ setup: true })
    expect(resumeNote('Docker stopped. ', 0)).toMatch(/interrupted \(Docker stopped\) before its first step;/)
  })
})

describe('TaskEngine.resume (no Docker)', () => {
  it('refuses a task that failed for a reason of its own, with why', async () => {
    const { engine } = await openEngine('sk-unit')
    const task = failed('budget_exceeded')
    await engine.store.create(task)
    await expect(engine.resume(task.id)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/^This task cannot be resumed\. .*budget_exceeded/),
    })
    expect(engine.get(task.id).status).toBe('failed')
  })

  it('resumes a task Docker stopped after its import without importing again', async () => {
    const { engine, events } = await openEngine('sk-unit')
    const repo = join(await tempDir(), 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt: 'anything' })
    await expect(waitForStatus(engine, id, ['review'], 30_000)).rejects.toThrow(/failed/)
    const first = engine.get(id)
    expect(first).toMatchObject({ error: { kind: 'docker_unavailable' }, resumable: true })
    expect(first.checkpoint).toMatchObject({ turns: 0, review: { start: first.baselineCommit } })
    const imports = events.filter((e) => e.type === 'progress' && e.phase === 'import').length
    expect(imports).toBeGreaterThan(0)

    await engine.resume(id)
    const again = await waitForStatus(engine, id, ['failed'], 30_000)
    expect(again).toMatchObject({ error: { kind: 'docker_unavailable' }, resumable: true })
    expect(again.baselineCommit).toBe(first.baselineCommit)
    const statuses = events.filter((e) => e.type === 'status').map((e) => [e.status, e.message ?? ''])
    expect(statuses).toContainEqual(['queued', 'Resume'])
    expect(statuses).toContainEqual(['preparing', 'Resume'])
    expect(events.filter((e) => e.type === 'progress' && e.phase === 'import').length).toBe(imports)
  })

  it('clears a partial import and starts again from it', async () => {
    const { engine } = await openEngine('sk-unit')
    const repo = join(await tempDir(), 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const task = record({
      status: 'interrupted',
      baselineCommit: undefined,
      source: { kind: 'folder', path: repo },
      error: { kind: 'interrupted', message: 'codex-sys stopped.' },
    })
    await engine.store.create(task)
    const workspace = engine.store.paths(task.id).workspace
    await mkdir(workspace, { recursive: true })
    await writeFile(join(workspace, 'half-copied.txt'), 'x')
    await engine.resume(task.id)
    // The import runs again into a clean workspace; then the missing Docker ends the turn.
    const done = await waitForStatus(engine, task.id, ['failed'], 30_000)
    expect(done.error?.kind).toBe('docker_unavailable')
    expect(done.baselineCommit).toBeTruthy()
    expect(existsSync(join(workspace, 'half-copied.txt'))).toBe(false)
    expect(existsSync(join(workspace, 'a.txt'))).toBe(true)
  })
})
