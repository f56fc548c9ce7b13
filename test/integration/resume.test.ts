import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskEvent } from '../../src/shared/events'
import { listTaskContainers } from '../../src/main/docker/sandbox'
import { requireDocker, testBaseImage } from '../support/docker'
import { startModelServer } from '../support/model-server'
import { waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { crashMidTurn, finishStep, LONG_SLEEP, shell } from '../support/resume-crash'
import { withTestAppServer, type TestAppServer } from '../support/services'
import { tempDir } from '../support/tmp'

async function call(
  env: TestAppServer,
  name: string,
  input: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${env.server.url}/api/call/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-codex-sys': '1', ...env.auth },
    body: JSON.stringify(input),
  })
  return { status: res.status, json: await res.json() }
}

const sumOf = (events: TaskEvent[], pick: (e: Extract<TaskEvent, { type: 'usage' }>) => number): number =>
  events.filter((e) => e.type === 'usage').reduce((sum, e) => sum + pick(e), 0)

/** The CLI's exit code and output. */
function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli/task.ts', ...args], {
    env: { ...process.env, OPENAI_API_KEY: 'sk-cli', CODEX_BASE_IMAGE: testBaseImage(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })))
}

describe('resume', () => {
  it('goes on with a task whose engine was killed mid-turn: the earlier steps, the note, both turns’ work', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const dataDir = join(root, 'data')
    // Step 1 writes one.txt; step 2's tool call runs when the engine process is killed.
    const { taskId } = await crashMidTurn({
      repo,
      dataDir,
      prompt: 'write one and two',
      script: [shell('echo one > one.txt'), LONG_SLEEP],
      toolCalls: 2,
      savedStep: 1,
    })

    const script = [shell('echo two > two.txt'), finishStep('Wrote one and two.')]
    await withTestAppServer({ root, script }, async (env) => {
      const { engine } = env.services
      const before = engine.get(taskId)
      expect(before).toMatchObject({ status: 'interrupted', resumable: true, error: { kind: 'interrupted' } })
      expect(before.usage.steps).toBe(2)
      expect((await listTaskContainers(await requireDocker())).filter((c) => c.taskId === taskId)).toEqual([])

      // Over the HTTP API, as the UI and every client call it.
      const resumed = await call(env, 'tasks.resume', { id: taskId })
      expect(resumed).toMatchObject({ status: 200, json: { ok: true, value: { status: 'queued' } } })
      const done = await waitForStatus(engine, taskId, ['review'])

      // The resumed turn's first request: the first turn's history (step 1 whole) and the note, last.
      const messages = env.model.requests[0]!.body.messages
      const firstCall = messages.find((m) => m.role === 'assistant' && m.tool_calls?.length)
      expect(firstCall?.tool_calls?.[0]?.function?.arguments).toContain('echo one > one.txt')
      expect(
        messages.some((m) => m.role === 'tool' && m.tool_call_id === firstCall?.tool_calls?.[0]?.id),
      ).toBe(true)
      expect(messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual([
        'Task:\nwrite one and two',
        '[codex-sys] The previous turn was interrupted (codex-sys stopped while this task was running) after step 1; the workspace is as it left it. Continue the task.',
      ])
      expect(messages.at(-1)?.role).toBe('user')

      // The diff holds the work of both parts; the totals count every answer of both.
      const diff = await engine.diff(taskId)
      expect(diff.fileDiffs.map((f) => f.newPath).sort()).toEqual(['one.txt', 'two.txt'])
      const workspace = engine.store.paths(taskId).workspace
      expect(await readFile(join(workspace, 'one.txt'), 'utf8')).toBe('one\n')
      expect(await readFile(join(workspace, 'two.txt'), 'utf8')).toBe('two\n')
      const events = await engine.events(taskId)
      expect(done.usage.steps).toBe(4)
      expect(done.usage.promptTokens).toBe(sumOf(events, (e) => e.promptTokens))
      expect(done.usage.completionTokens).toBe(sumOf(events, (e) => e.completionTokens))
      expect(events.filter((e) => e.type === 'usage').map((e) => e.step)).toEqual([1, 2, 3, 4])
      expect(done.usage.promptTokens).toBeGreaterThan(0)
      expect(done).toMatchObject({ turns: 1, summary: 'Wrote one and two.' })
      expect(done.resumable).toBeFalsy()

      // A task in review is not resumable: a conflict that says why, from the API and the CLI alike.
      const again = await call(env, 'tasks.resume', { id: taskId })
      expect(again.json).toMatchObject({
        ok: false,
        error: { kind: 'conflict', message: expect.stringMatching(/cannot be resumed.*this one is review/) },
      })
      const cli = await runCli(['--resume', taskId, '--data-dir', dataDir])
      expect(cli.code, cli.output).toBe(1)
      expect(cli.output).toMatch(/This task cannot be resumed\. Only an interrupted or failed task/)
    })
  })

  it('resumes from the command line (npm run task -- --resume ID), streaming the turn to review', async () => {
    const root = await tempDir()
    const repo = join(root, 'repo')
    await writeFiles(repo, { 'a.txt': 'a\n' })
    const dataDir = join(root, 'data')
    // Killed during the first step's command: only the turn's opening is saved.
    const { taskId } = await crashMidTurn({
      repo,
      dataDir,
      prompt: 'write cli',
      script: [LONG_SLEEP],
      toolCalls: 1,
      savedStep: 0,
    })
    const model = await startModelServer([shell('echo cli > cli.txt'), finishStep('Wrote cli.')])
    try {
      const cli = await runCli(['--resume', taskId, '--data-dir', dataDir, '--json'], {
        OPENAI_BASE_URL: model.baseURL,
      })
      expect(cli.code, cli.output).toBe(0)
      const events = cli.output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as TaskEvent)
      const statuses = events.flatMap((e) => (e.type === 'status' ? [[e.status, e.message ?? '']] : []))
      expect(statuses).toEqual([
        ['queued', 'Resume'],
        ['preparing', 'Resume'],
        ['running', ''],
        ['review', ''],
      ])
      expect(events.some((e) => e.type === 'tool_call' && e.step === 2)).toBe(true)
      expect(String(model.requests[0]!.body.messages.at(-1)?.content)).toMatch(
        /interrupted \(codex-sys stopped while this task was running\) before its first step;/,
      )
      const record = JSON.parse(await readFile(join(dataDir, 'tasks', taskId, 'task.json'), 'utf8')) as {
        status: string
        usage: { steps: number }
      }
      expect(record).toMatchObject({ status: 'review', usage: { steps: 3 } })
      expect(await readFile(join(dataDir, 'tasks', taskId, 'workspace', 'cli.txt'), 'utf8')).toBe('cli\n')
    } finally {
      await model.close()
    }
  })
})
