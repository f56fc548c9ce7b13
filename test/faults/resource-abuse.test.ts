import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import type { TaskRecord } from '../../src/shared/task'
import { auditStore, orphansOf } from '../support/engine-child-audit'
import { openTestEngine, waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ModelServer, type ScriptStep } from '../support/model-server'
import { tempDir } from '../support/tmp'
import { expectFault, type FaultRow } from './support/fault-table'

/**
 * The agent's own shell turned against the sandbox, on the real engine and the scripted model: a fork
 * bomb, a memory hog, an output flood of gigabytes, and commands that ignore SIGTERM. After each: the
 * tool result says what happened, the next step runs (or the task fails at its time limit), the store
 * reads back whole, no container is left, and the engine's memory did not grow with the flood.
 */
const PIDS_LIMIT = 64
const MEMORY_MB = 256
const MIB = 1024 * 1024

let model: ModelServer
let engine: TaskEngine
let suiteDir: string
let dataDir: string
/** Each task's steps, by its prompt: a task that ends early leaves nothing behind for the next one. */
const scripts = new Map<string, ScriptStep[]>()
const ids: string[] = []

beforeAll(async () => {
  suiteDir = await mkdtemp(join(tmpdir(), 'codex-abuse-'))
  dataDir = join(suiteDir, 'data')
  model = await startModelServer((req) => {
    const text = JSON.stringify(req.messages)
    const steps = [...scripts].find(([prompt]) => text.includes(prompt))?.[1] ?? []
    const done = req.messages.filter((m) => m.role === 'tool').length
    return steps[done] ?? finish('Nothing left to do.')
  })
  engine = await openTestEngine({
    dataDir,
    baseURL: model.baseURL,
    settings: { sandbox: { pidsLimit: PIDS_LIMIT, memoryMb: MEMORY_MB } },
  })
})
afterAll(async () => {
  await engine?.close()
  await model?.close()
  if (suiteDir) await rm(suiteDir, { recursive: true, force: true })
})

const shell = (command: string, timeoutSeconds?: number): ScriptStep => ({
  toolCalls: [
    {
      name: 'shell',
      args: timeoutSeconds ? { command, timeout_seconds: timeoutSeconds } : { command },
    },
  ],
})
const finish = (summary: string): ScriptStep => ({ toolCalls: [{ name: 'finish', args: { summary } }] })

/** Lists the commands still running in the container whose command line starts with `prefix`. */
const countProcesses = (prefix: string): string =>
  `for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null; echo; done | grep -c '^${prefix}' || true`

async function submit(
  prompt: string,
  steps: ScriptStep[],
  limits?: { timeLimitMs: number },
): Promise<string> {
  scripts.set(prompt, steps)
  const repo = join(await tempDir(), 'repo')
  await writeFiles(repo, { 'a.txt': 'a\n' })
  const { id } = await engine.submit({ source: { kind: 'folder', path: repo }, prompt, limits })
  ids.push(id)
  return id
}

const settled = (id: string): Promise<TaskRecord> =>
  waitForStatus(engine, id, ['failed', 'review', 'cancelled', 'interrupted'], 240_000).catch(() =>
    engine.get(id),
  )

/** The tool results the model was sent for this task, in order (the prompt names the task). */
function toolResults(prompt: string): string[] {
  const last = model.requests.filter((r) => JSON.stringify(r.body.messages).includes(prompt)).at(-1)
  return (last?.body.messages ?? []).filter((m) => m.role === 'tool').map((m) => String(m.content))
}

/** Records the row and asserts it: the promised state, nothing lost, no container left. */
async function expectRow(fault: string, id: string, expectedState: string): Promise<FaultRow> {
  const task = engine.get(id)
  const audit = await auditStore(dataDir, ids)
  const finalState = task.error ? `${task.status} (${task.error.kind})` : task.status
  const row = { fault, finalState, expectedState, lost: audit.lost, orphans: await orphansOf(id) }
  expectFault(row, `${JSON.stringify(task.error)} ${audit.notes.join('; ')}`)
  return row
}

describe('the agent’s shell abusing its sandbox', () => {
  it('a fork bomb hits the pids limit, is said in the tool result, and the next step runs', async () => {
    const prompt = 'fork bomb'
    const id = await submit(prompt, [
      shell(':(){ :|:& };:; sleep 3', 10),
      shell(`echo after-the-bomb; ${countProcesses('bash -lc :')}`),
      finish('Survived.'),
    ])
    await settled(id)
    await expectRow('fork bomb in the agent’s shell', id, 'review')
    const [bomb, after] = toolResults(prompt)
    expect(bomb).toMatch(/fork: (retry: )?Resource temporarily unavailable/)
    expect(bomb).toContain('hit the container’s process limit')
    expect(after).toContain('after-the-bomb')
    // The bomb is gone: none of its shells is left to hold the pids.
    expect(after).toMatch(/after-the-bomb\n0\b/)
  })

  it('a memory hog is OOM-killed, said in the tool result, and the next step runs', async () => {
    const prompt = 'memory hog'
    const id = await submit(prompt, [
      shell('head -c 2G /dev/zero | tail'),
      shell('echo still-here'),
      finish('Too big.'),
    ])
    await settled(id)
    await expectRow('memory hog in the agent’s shell', id, 'review')
    const [hog, after] = toolResults(prompt)
    expect(hog).toContain('OOMKilled')
    expect(after).toContain('still-here')
  })

  it('an output flood of 3 GB is drained and truncated, and the engine’s memory does not grow with it', async () => {
    const prompt = 'output flood'
    const before = process.memoryUsage().rss
    const id = await submit(prompt, [
      shell('yes flood | head -c 3G; echo; echo end-of-flood', 300),
      finish('Flooded.'),
    ])
    await settled(id)
    const grewMiB = (process.memoryUsage().rss - before) / MIB
    console.log(`output flood of 3 GB: engine RSS grew ${grewMiB.toFixed(1)} MiB`)
    await expectRow('output flood (3 GB) from the agent’s shell', id, 'review')
    const flood = toolResults(prompt)[0] ?? ''
    expect(flood).toMatch(/^Exit code: 0\nstdout:\nflood\nflood\n/)
    expect(flood).toMatch(/… \d{10} bytes omitted …/)
    expect(flood.trimEnd()).toMatch(/end-of-flood$/)
    expect(flood.length).toBeLessThan(30_000)
    expect(grewMiB).toBeLessThan(100)
  })

  it('a command that ignores SIGTERM is killed at the shell’s timeout; the next step sees it gone', async () => {
    const prompt = 'sigterm-shell-timeout'
    const started = Date.now()
    const id = await submit(prompt, [
      shell("trap '' TERM; sleep 600", 3),
      shell(`echo checked; ${countProcesses('sleep 600')}`),
      finish('Killed.'),
    ])
    await settled(id)
    await expectRow('SIGTERM ignored, shell timeout', id, 'review')
    const [stubborn, after] = toolResults(prompt)
    expect(stubborn).toMatch(/^Command timed out after 3 s and was killed\./)
    expect(after).toMatch(/checked\n0\b/)
    expect(Date.now() - started).toBeLessThan(60_000)
  })

  it('a command that ignores SIGTERM is stopped by the task’s time limit', async () => {
    const prompt = 'sigterm-task-limit'
    const started = Date.now()
    const id = await submit(prompt, [shell("trap '' TERM; sleep 600", 1800)], { timeLimitMs: 8_000 })
    await settled(id)
    await expectRow('SIGTERM ignored, task time limit', id, 'failed (timeout)')
    expect(Date.now() - started).toBeLessThan(8_000 + 15_000)
  })
})
