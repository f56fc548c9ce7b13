import type { TaskRecord } from '../../shared/task'
import { codexArgv, codexConfigToml, codexEnv, CODEX_HOME, WRITE_CONFIG_SCRIPT } from '../agent/codex/config'
import { CodexEventMapper } from '../agent/codex/events'
import type { Sandbox } from '../docker/sandbox'
import { AppError } from '../errors'
import type { CodexModelProxy } from './codex-model'
import { checkSignal, type TurnDeps } from './turn-deps'

/** Where a task keeps the Codex thread of its last turn, so a follow-up resumes it. */
export const CODEX_THREAD_ARTIFACT = 'codex-thread.txt'
const MAX_KEPT_OUTPUT = 1024 * 1024

/** The prompt Codex gets on stdin: the task, with its focus files and what its network is. */
export function codexPrompt(task: TaskRecord, network: string, followUp?: string): string {
  if (followUp) return followUp
  const focus = task.focusFiles.length ? `\n\nFocus on these files: ${task.focusFiles.join(', ')}.` : ''
  return `${task.prompt}${focus}\n\n(The sandbox you run in has ${network}. Work in /workspace.)\n`
}

/** Splits a stream into lines, calling `onLine` for each whole one; `end()` flushes the rest. */
function lineSplitter(onLine: (line: string) => void): { push: (text: string) => void; end: () => void } {
  let rest = ''
  return {
    push: (text) => {
      rest += text
      let nl: number
      while ((nl = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, nl).replace(/\r$/, ''))
        rest = rest.slice(nl + 1)
      }
    },
    end: () => {
      if (rest) onLine(rest)
      rest = ''
    },
  }
}

/**
 * One turn of the Codex runtime in the agent phase's sandbox: its config written from inside (the host
 * never writes into the task's HOME), then `codex exec --json` (or `codex exec resume <thread>` for a
 * follow-up) with the prompt on stdin and only the placeholder key in its environment. Its JSONL events
 * become the timeline's, its stderr goes to agent.log. Cancel, the time limit and a spent budget stop it
 * by killing the exec and the container (the engine's stop), whatever Codex is doing.
 */
export async function runCodexTurn(
  deps: TurnDeps,
  task: TaskRecord,
  sandbox: Sandbox,
  model: CodexModelProxy,
  prompt: string,
  followUp: boolean,
): Promise<void> {
  const { store } = deps
  const env = codexEnv(model.placeholder)
  const written = await sandbox.exec(['sh', '-c', WRITE_CONFIG_SCRIPT], {
    stdin: codexConfigToml(task.model),
    env: { CODEX_HOME },
    timeoutMs: 15_000,
    signal: deps.signal,
  })
  if (written.exitCode !== 0) {
    throw new AppError('container_failed', `Could not write Codex's configuration in the sandbox.`, {
      details: { exitCode: written.exitCode, stderr: written.stderr.slice(-500) },
    })
  }
  const resumeThread = followUp
    ? (await store.readArtifact(task.id, CODEX_THREAD_ARTIFACT))?.trim()
    : undefined
  let savedThread = resumeThread
  const mapper = new CodexEventMapper(() => model.step())
  let events = 0
  const stdout = lineSplitter((line) => {
    for (const event of mapper.line(line)) {
      events++
      deps.emit(event)
    }
    const thread = mapper.state.threadId
    if (thread && thread !== savedThread) {
      savedThread = thread
      void store.writeArtifact(task.id, CODEX_THREAD_ARTIFACT, `${thread}\n`)
    }
  })
  const result = await sandbox.exec(
    codexArgv({ model: task.model, resumeThread: resumeThread || undefined }),
    {
      stdin: prompt,
      cwd: '/workspace',
      env,
      timeoutMs: Math.max(1000, deps.deadline - Date.now()),
      signal: deps.signal,
      maxOutputBytes: MAX_KEPT_OUTPUT,
      onOutput: (text, stream) => {
        if (stream === 'stdout') stdout.push(text)
        else store.appendArtifact(task.id, 'agent.log', text)
      },
    },
  )
  stdout.end()
  checkSignal(deps.signal)
  const state = mapper.state
  if (result.exitCode === 127 && events === 0) {
    throw new AppError(
      'image_missing',
      'Codex CLI is not installed in the sandbox image (codex: command not found).',
      {
        hint: 'Rebuild the Codex runtime image (agent-image/codex/Dockerfile installs @openai/codex), or run the task with the built-in runtime.',
        details: { exitCode: result.exitCode, stderr: result.stderr.slice(-500) },
      },
    )
  }
  if (result.timedOut) {
    throw new AppError('timeout', 'The task hit its time limit while Codex was working.', {
      hint: 'Give the task a longer time limit in its options or in Settings, or narrow it down.',
    })
  }
  if (state.failure || result.exitCode !== 0 || !state.completed) {
    const why = state.failure ?? `Codex exited with code ${result.exitCode} before finishing its turn.`
    throw new AppError('model_error', `Codex did not finish the task: ${why}`, {
      hint: 'Read agent.log for Codex’s own output, then send a follow-up or start the task again.',
      details: { exitCode: result.exitCode, stderr: result.stderr.slice(-1000) },
    })
  }
  const summary = state.lastMessage ?? ''
  await store.writeArtifact(task.id, 'summary.md', `${summary}\n`)
  await store.update(task.id, { usage: model.usage(), summary, turns: task.turns + 1 })
}
