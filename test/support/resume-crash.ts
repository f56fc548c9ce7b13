import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TaskRecord } from '../../src/shared/task'
import { listTaskContainers } from '../../src/main/docker/sandbox'
import { requireDocker, testBaseImage } from './docker'
import type { ScriptStep } from './model-server'
import { startModelServer } from './model-server'

export const shell = (command: string): ScriptStep => ({ toolCalls: [{ name: 'shell', args: { command } }] })
export const finishStep = (summary: string): ScriptStep => ({
  toolCalls: [{ name: 'finish', args: { summary } }],
})
/** A step whose tool call lasts long enough to be killed in. */
export const LONG_SLEEP: ScriptStep = {
  toolCalls: [{ name: 'shell', args: { command: 'sleep 120', timeout_seconds: 600 } }],
}

/**
 * Runs a task with the command line (the engine process) on `dataDir` against a model server answering
 * `script`, and kills it with SIGKILL once `toolCalls` tool calls have started: a crash mid-turn, with
 * nothing settled. Resolves with the task's id and what the process printed.
 */
export async function crashMidTurn(opts: {
  repo: string
  dataDir: string
  prompt: string
  script: ScriptStep[]
  toolCalls: number
  /**
   * Also wait until the record on disk says the agent's history is saved up to this step, and counts the
   * answer of each tool call's step (records are written as the turn goes; a crash loses what was not yet).
   */
  savedStep: number
}): Promise<{ taskId: string; output: string }> {
  const model = await startModelServer(opts.script)
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', 'src/main/cli/task.ts'],
      ...['--folder', opts.repo, '--data-dir', opts.dataDir, '--json', opts.prompt],
    ],
    {
      env: {
        ...process.env,
        OPENAI_API_KEY: 'sk-cli',
        OPENAI_BASE_URL: model.baseURL,
        OPENAI_MODEL: 'scripted',
        CODEX_BASE_IMAGE: testBaseImage(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  try {
    const deadline = Date.now() + 180_000
    while (output.split('"type":"tool_call"').length - 1 < opts.toolCalls) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the CLI did not reach tool call ${opts.toolCalls}:\n${output}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const taskId = /"taskId":"([^"]+)"/.exec(output)![1]!
    for (;;) {
      const saved = await savedOnDisk(opts.dataDir, taskId)
      if (saved.step >= opts.savedStep && saved.steps >= opts.toolCalls) break
      if (Date.now() > deadline) throw new Error(`step ${opts.savedStep} was never saved:\n${output}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    // The container of the tool call is alive when the engine dies.
    const containers = (await listTaskContainers(await requireDocker())).filter((c) => c.taskId === taskId)
    if (containers.length !== 1) throw new Error(`expected the task's container, found ${containers.length}`)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    return { taskId, output }
  } finally {
    child.kill('SIGKILL')
    await model.close()
  }
}

/** What the task's record on disk says: the step its conversation is saved up to (-1: none), the steps counted. */
async function savedOnDisk(dataDir: string, taskId: string): Promise<{ step: number; steps: number }> {
  const text = await readFile(join(dataDir, 'tasks', taskId, 'task.json'), 'utf8').catch(() => '{}')
  try {
    const record = JSON.parse(text) as Partial<TaskRecord>
    return { step: record.checkpoint?.step ?? -1, steps: record.usage?.steps ?? 0 }
  } catch {
    return { step: -1, steps: 0 }
  }
}
