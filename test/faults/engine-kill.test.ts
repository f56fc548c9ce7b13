import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DiffSummary } from '../../src/shared/diff'
import type { TaskEvent } from '../../src/shared/events'
import type { TaskOutcome, TaskRecord } from '../../src/shared/task'
import { EngineChild, waitUntil } from '../support/engine-child'
import { auditStore, orphansOf } from '../support/engine-child-audit'
import { writeFiles } from '../support/files'
import { startGitServer } from '../support/git-server'
import { startModelServer, type ModelServer, type ScriptStep } from '../support/model-server'
import { expectFault } from './support/fault-table'

/**
 * kill -9 of the engine (a child process running the real engine and headless server) at five points of
 * a turn: the import, setup, a tool call, the diff, a publish (an export). After each, the engine restarts
 * on the same data dir: every task reads back, says what happened, keeps its workspace, no container of
 * it is left, and a publish cut off goes through when run again, once.
 */
let model: ModelServer
let root: string
let dataDir: string
let engine: EngineChild | undefined
const script: ScriptStep[] = []
const ids: string[] = []
/** What the cut-off push left on the server, and where its retry went. */
let cutOffPush: { branch: string; pushedBranch: string; landed: string | null } | undefined

beforeAll(async () => {
  model = await startModelServer(script)
})
afterAll(async () => {
  await engine?.stop()
  await model?.close()
  if (root) await rm(root, { recursive: true, force: true })
})

const INTERRUPTED = 'interrupted: codex-sys stopped while this task was running.'
const shell = (command: string): ScriptStep => ({
  toolCalls: [{ name: 'shell', args: { command, timeout_seconds: 600 } }],
})
const finish = (summary: string): ScriptStep => ({ toolCalls: [{ name: 'finish', args: { summary } }] })
const stateOf = (task: TaskRecord): string =>
  task.status === 'interrupted' ? `interrupted: ${task.error?.message}` : task.status

async function start(): Promise<EngineChild> {
  engine = await EngineChild.start({ dataDir, baseURL: model.baseURL })
  return engine
}

async function submit(repo: string, extra: Record<string, unknown> = {}): Promise<string> {
  const task = await engine!.call<TaskRecord>('tasks.submit', {
    source: { kind: 'folder', path: repo },
    prompt: 'Work',
    ...extra,
  })
  ids.push(task.id)
  return task.id
}

async function repoWith(files: Record<string, string>): Promise<string> {
  const repo = join(root, `repo-${ids.length}`)
  await writeFiles(repo, files)
  return repo
}

/** Kills the engine, starts it again on the same data dir, and records and asserts the row. */
async function killAndCheck(fault: string, id: string, expectedState: string): Promise<TaskRecord> {
  await engine!.kill()
  await start()
  const task = await engine!.task(id)
  const audit = await auditStore(dataDir, ids, ids)
  const row = {
    fault,
    finalState: stateOf(task),
    expectedState,
    lost: audit.lost,
    orphans: await orphansOf(id),
  }
  expectFault(row, audit.notes.join('; '))
  // Every task of the data dir reads back through the restarted engine, none of them half run.
  const listed = await engine!.call<TaskRecord[]>('tasks.list')
  expect(listed.map((t) => t.id).sort()).toEqual([...ids].sort())
  for (const t of listed) expect(['interrupted', 'review', 'failed', 'cancelled']).toContain(t.status)
  return task
}

const eventOf =
  (type: TaskEvent['type'], test: (e: TaskEvent) => boolean = () => true) =>
  (e: TaskEvent): boolean =>
    e.type === type && test(e)

describe('the engine killed with SIGKILL mid-turn', () => {
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'codex-kill-'))
    dataDir = join(root, 'data')
    await start()
  })

  it('during the import of a big folder', async () => {
    const repo = join(root, 'big-folder')
    for (let d = 0; d < 50; d++) {
      mkdirSync(join(repo, `d${d}`), { recursive: true })
      for (let f = 0; f < 200; f++) writeFileSync(join(repo, `d${d}`, `f${f}.txt`), `${d}/${f}\n`.repeat(50))
    }
    const id = await submit(repo)
    await engine!.waitForEvent(
      id,
      eventOf('progress', (e) => e.type === 'progress' && e.phase === 'import'),
    )
    const task = await killAndCheck('engine SIGKILL during import', id, INTERRUPTED)
    expect(task.baselineCommit).toBeUndefined()
  })

  it('during setup (setup.sh sleeping)', async () => {
    const repo = await repoWith({ 'setup.sh': 'echo setup-started\nsleep 120\n', 'a.txt': 'a\n' })
    const id = await submit(repo)
    await engine!.waitForEvent(
      id,
      eventOf('log', (e) => e.type === 'log' && e.text.includes('setup-started')),
    )
    expect(await orphansOf(id)).toBe(1) // the setup container, left running by the kill
    await killAndCheck('engine SIGKILL during setup', id, INTERRUPTED)
  })

  it('during a tool call (sleep in the sandbox)', async () => {
    script.push(shell('echo tool-started; sleep 120'))
    const id = await submit(await repoWith({ 'a.txt': 'a\n' }))
    await engine!.waitForEvent(id, eventOf('tool_call'))
    expect(await orphansOf(id)).toBe(1) // the agent's container, running the tool when the engine dies
    await killAndCheck('engine SIGKILL during a tool call', id, INTERRUPTED)
  })

  it('during the diff of a big change', async () => {
    script.push(
      shell('mkdir gen && cd gen && for i in $(seq 1 20000); do echo "line $i" > "f$i.txt"; done; echo made'),
      finish('Made 20000 files.'),
    )
    const id = await submit(await repoWith({ 'a.txt': 'a\n' }))
    // The diff starts once the agent has finished and its container is gone.
    await engine!.waitForEvent(
      id,
      eventOf('tool_call', (e) => e.type === 'tool_call' && e.name === 'finish'),
    )
    await waitForAsync('the agent container to go', async () => (await orphansOf(id)) === 0)
    await killAndCheck('engine SIGKILL during the diff', id, INTERRUPTED)
    expect(readdirSync(join(dataDir, 'tasks', id, 'workspace', 'gen'))).toHaveLength(20_000)
    const events = await engine!.events(id)
    expect(events.some((e) => e.type === 'diff')).toBe(false) // the kill came before the diff was done
    // The diff cut off left no lock behind: the workspace's change can be read again.
    const diff = await engine!.call<DiffSummary>('tasks.diff', { id })
    expect(diff.files).toBe(20_000)
  })

  it('during a publish (an export of a big change), which is then safe to retry', async () => {
    script.push(shell('head -c 40000000 /dev/urandom > big.bin; echo wrote'), finish('Wrote big.bin.'))
    const id = await submit(await repoWith({ 'a.txt': 'a\n' }))
    await engine!.waitForStatus(id, ['review'])
    const artifacts = join(dataDir, 'tasks', id, 'artifacts')
    const exporting = engine!
      .call('tasks.publish', { kind: 'export', id, format: 'zip' })
      .catch(() => undefined)
    await waitUntil('the export to be writing', () =>
      readdirSync(artifacts).some((n) => n.endsWith('.zip.partial')),
    )
    const task = await killAndCheck('engine SIGKILL during a publish (export)', id, 'review')
    await exporting
    expect(task.outcomes ?? []).toEqual([])
    expect(readdirSync(artifacts).filter((n) => n.endsWith('.partial'))).toEqual([])
    const outcome = await engine!.call<TaskOutcome>('tasks.publish', { kind: 'export', id, format: 'zip' })
    expect(outcome).toMatchObject({ kind: 'exported', format: 'zip', artifact: 'export.zip' })
    expect((await engine!.task(id)).outcomes).toHaveLength(1)
  })

  it('during a publish (a push to a git server over HTTP), which is then safe to retry', async () => {
    // Every answer of the server is held 500 ms: the push is in flight when its request arrives.
    const server = await startGitServer({ delayMs: 500 })
    try {
      const url = await server.createRepo('proj', { 'a.txt': 'a\n' })
      script.push(shell('echo pushed > a.txt'), finish('Changed a.txt.'))
      const task = await engine!.call<TaskRecord>('tasks.submit', {
        source: { kind: 'git', url },
        prompt: 'Work',
      })
      ids.push(task.id)
      await engine!.waitForStatus(task.id, ['review'])
      const branch = 'codex/kill-test'
      const pushing = engine!
        .call('tasks.publish', { kind: 'push', id: task.id, branch })
        .catch(() => undefined)
      await waitUntil('the push to reach the server', () =>
        server.requests.some((r) => r.method === 'POST' && r.url.includes('git-receive-pack')),
      )
      const after = await killAndCheck('engine SIGKILL during a publish (push)', task.id, 'review')
      await pushing
      expect(after.outcomes ?? []).toEqual([])
      const outcome = await engine!.call<TaskOutcome>('tasks.publish', { kind: 'push', id: task.id, branch })
      expect(outcome).toMatchObject({ kind: 'pushed' })
      expect((await engine!.task(task.id)).outcomes).toHaveLength(1)
      const pushedBranch = outcome.kind === 'pushed' ? outcome.branch : ''
      expect(await server.branchTip('proj', pushedBranch)).toBe(
        outcome.kind === 'pushed' ? outcome.commit : '',
      )
      cutOffPush = { branch, pushedBranch, landed: await server.branchTip('proj', branch) }
    } finally {
      await server.close()
    }
  })

  // KNOWN BUG (publish.ts/push.ts): the push that was cut off had landed (the server had its whole request)
  // but the record never heard of it, so the retry made a new commit and pushed it as <branch>-2: the remote
  // holds the change twice. it.fails until pendingPublish is recorded before the push (see the H6 report).
  it('a retried push whose cut-off attempt had landed reuses its branch (no duplicate)', () => {
    expect(cutOffPush?.landed).toBeTruthy()
    expect(cutOffPush?.pushedBranch).toBe(cutOffPush?.branch)
  })

  it('answers a new task after all the kills', async () => {
    script.push(finish('Nothing to do.'))
    const id = await submit(await repoWith({ 'a.txt': 'a\n' }))
    expect((await engine!.waitForStatus(id, ['review', 'failed', 'interrupted'])).status).toBe('review')
  })
})

async function waitForAsync(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`waited ${timeoutMs} ms for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
