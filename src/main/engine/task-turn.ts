import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { TaskEventBody } from '../../shared/events'
import type { Settings } from '../../shared/settings'
import type { TaskRecord } from '../../shared/task'
import { runAgent } from '../agent/loop'
import { createModelClient } from '../agent/model'
import { buildSystemPrompt, discoverAgentsMd, initialMessages, repoTree } from '../agent/prompt'
import { defaultTools } from '../agent/tools'
import type { createDockerClient } from '../docker/client'
import { Sandbox, giveWorkspaceTo, sandboxUser } from '../docker/sandbox'
import { AppError } from '../errors'
import { createBaseline } from '../git/baseline'
import { computeDiff } from '../git/diff'
import { importSource } from './import-source'
import type { TaskStore } from './task-store'

export type DockerClient = ReturnType<typeof createDockerClient>

export interface TurnDeps {
  store: TaskStore
  settings: Settings
  docker: DockerClient
  /** The agent image's tag, built first if missing. */
  ensureImage: (onProgress: (line: string, ratio?: number) => void) => Promise<string>
  apiKey: string
  baseURL?: string
  githubToken?: string
  emit: (body: TaskEventBody) => void
  signal: AbortSignal
  /** Epoch ms by which the turn must end (the task's time limit). */
  deadline: number
  /** Told of the turn's container as soon as it exists, so a cancel can kill it at once. */
  onSandbox: (sandbox: Sandbox | undefined) => void
}

/**
 * One turn of a task: on the first, import the code and record its baseline; then start the container,
 * run the setup script (first turn, with network), cut the network, run the agent, and compute the diff
 * against the baseline. The container is removed when the turn ends, whatever the outcome.
 */
export async function runTurn(taskId: string, followUp: string | undefined, deps: TurnDeps): Promise<void> {
  const { store, signal } = deps
  const paths = store.paths(taskId)
  let task: TaskRecord
  if (!followUp) {
    task = await setStatus(deps, taskId, 'preparing')
    const imported = await importSource({
      source: task.source,
      dest: paths.workspace,
      upstreamDir: paths.upstream,
      settings: deps.settings,
      githubToken: deps.githubToken,
      signal,
      onProgress: (p) => deps.emit({ type: 'progress', ...p }),
    })
    // Hand the copy to the sandbox user before the baseline, so git's index matches the files' metadata.
    await giveWorkspaceTo(paths.workspace, sandboxUser())
    const baselineCommit = await createBaseline({ workspace: paths.workspace, gitDir: paths.gitDir, signal })
    task = await store.update(taskId, {
      baselineCommit,
      sourceBranch: imported.sourceBranch,
      sourceCommit: imported.sourceCommit,
    })
  } else {
    task = await setStatus(deps, taskId, 'preparing', 'Follow-up')
  }

  const image = await deps.ensureImage((line, ratio) =>
    deps.emit({ type: 'progress', phase: 'image', message: line, ratio }),
  )
  checkSignal(signal)
  const setupScript = followUp ? undefined : await findSetupScript(task, paths.workspace)
  const withNetwork = Boolean(setupScript) && deps.settings.sandbox.setupNetwork
  const sandbox = await startSandbox(deps, task, image, paths.workspace, withNetwork)
  try {
    if (setupScript) {
      await setStatus(deps, taskId, 'setting_up')
      await runSetup(deps, taskId, sandbox, setupScript)
    }
    if (withNetwork) await sandbox.disconnectNetwork()
    checkSignal(signal)
    await setStatus(deps, taskId, 'running')
    await runAgentTurn(deps, task, sandbox, followUp)
  } catch (err) {
    throw await explainContainerDeath(err, sandbox, deps)
  } finally {
    deps.onSandbox(undefined)
    await sandbox.remove().catch(() => undefined)
  }
  await finishWithDiff(deps, taskId)
}

/** A container the kernel killed for memory says so, instead of whatever broke next. */
async function explainContainerDeath(err: unknown, sandbox: Sandbox, deps: TurnDeps): Promise<unknown> {
  if (deps.signal.aborted || (err instanceof AppError && err.kind === 'cancelled')) return err
  const state = await sandbox.state().catch(() => undefined)
  if (!state?.oomKilled || state.running) return err
  return new AppError(
    'oom',
    `The sandbox ran out of memory (OOMKilled at ${deps.settings.sandbox.memoryMb} MB).`,
    {
      hint: 'Raise the container memory limit in Settings, or ask for a lighter approach.',
      cause: err,
    },
  )
}

async function setStatus(
  deps: TurnDeps,
  taskId: string,
  status: TaskRecord['status'],
  message?: string,
): Promise<TaskRecord> {
  checkSignal(deps.signal)
  const patch: Partial<TaskRecord> = { status }
  if (status === 'preparing' && !deps.store.get(taskId).startedAt) patch.startedAt = new Date().toISOString()
  const task = await deps.store.update(taskId, patch)
  deps.emit({ type: 'status', status, message })
  return task
}

function checkSignal(signal: AbortSignal): void {
  if (!signal.aborted) return
  throw signal.reason instanceof AppError
    ? signal.reason
    : new AppError('cancelled', 'The task was cancelled.')
}

async function findSetupScript(task: TaskRecord, workspace: string): Promise<string | undefined> {
  if (task.setupScript?.trim()) return task.setupScript
  return readFile(join(workspace, 'setup.sh'), 'utf8').catch(() => undefined)
}

async function startSandbox(
  deps: TurnDeps,
  task: TaskRecord,
  image: string,
  workspace: string,
  network: boolean,
): Promise<Sandbox> {
  deps.emit({ type: 'progress', phase: 'container', message: 'Starting the sandbox container' })
  const { memoryMb, cpus, pidsLimit } = deps.settings.sandbox
  const sandbox = await Sandbox.create(deps.docker, {
    taskId: task.id,
    image,
    workspace,
    memoryMb,
    cpus,
    pidsLimit,
    network,
  })
  deps.onSandbox(sandbox)
  if (deps.signal.aborted) {
    await sandbox.remove().catch(() => undefined)
    checkSignal(deps.signal)
  }
  return sandbox
}

async function runSetup(deps: TurnDeps, taskId: string, sandbox: Sandbox, script: string): Promise<void> {
  const remaining = deps.deadline - Date.now()
  const result = await sandbox.exec(['bash', '-s'], {
    stdin: script,
    cwd: '/workspace',
    timeoutMs: Math.max(1000, remaining),
    signal: deps.signal,
    onOutput: (text) => {
      deps.store.appendArtifact(taskId, 'setup.log', text)
      deps.emit({ type: 'log', stream: 'setup', text })
    },
  })
  checkSignal(deps.signal)
  if (result.exitCode !== 0) {
    throw new AppError('setup_failed', `The setup script exited with code ${result.exitCode}.`, {
      hint: 'Read setup.log, fix setup.sh (or the task’s setup script), and run the task again.',
      details: { exitCode: result.exitCode, timedOut: result.timedOut },
    })
  }
}

async function runAgentTurn(
  deps: TurnDeps,
  task: TaskRecord,
  sandbox: Sandbox,
  followUp: string | undefined,
): Promise<void> {
  const { store } = deps
  const workspace = store.paths(task.id).workspace
  let messages: ChatCompletionMessageParam[]
  if (followUp) {
    const saved = await store.readArtifact(task.id, 'conversation.json')
    messages = [
      ...(saved ? (JSON.parse(saved) as ChatCompletionMessageParam[]) : []),
      { role: 'user', content: followUp },
    ]
  } else {
    const agentsDocs = await discoverAgentsMd(workspace, task.focusFiles)
    const system = buildSystemPrompt({
      tree: await repoTree(workspace),
      focusFiles: task.focusFiles,
      agentsDocs,
    })
    messages = initialMessages(system, task.prompt)
    await store.writeArtifact(task.id, 'prompt.md', `${system}\n\n---\n\n${task.prompt}\n`)
  }
  const client = createModelClient({ apiKey: deps.apiKey, baseURL: deps.baseURL })
  const result = await runAgent({
    client,
    model: task.model,
    messages,
    tools: defaultTools(),
    workspace: sandbox,
    limits: {
      maxSteps: task.limits.maxSteps,
      maxTokens: task.limits.maxTokens,
      maxCostUsd: task.limits.maxCostUsd,
      deadline: deps.deadline,
    },
    usageSoFar: task.usage,
    signal: deps.signal,
    onEvent: (event) => {
      deps.emit(event)
      if (event.type === 'usage') void updateUsage(deps, task.id, event)
    },
  })
  await store.writeArtifact(task.id, 'conversation.json', JSON.stringify(result.messages))
  await store.writeArtifact(task.id, 'summary.md', `${result.summary}\n`)
  await store.update(task.id, { usage: result.usage, summary: result.summary, turns: task.turns + 1 })
}

async function updateUsage(
  deps: TurnDeps,
  taskId: string,
  event: { promptTokens: number; completionTokens: number; costUsd: number },
): Promise<void> {
  const usage = deps.store.get(taskId).usage
  await deps.store.update(taskId, {
    usage: {
      steps: usage.steps + 1,
      promptTokens: usage.promptTokens + event.promptTokens,
      completionTokens: usage.completionTokens + event.completionTokens,
      costUsd: usage.costUsd + event.costUsd,
    },
  })
}

async function finishWithDiff(deps: TurnDeps, taskId: string): Promise<void> {
  const { store } = deps
  const paths = store.paths(taskId)
  const baseline = store.get(taskId).baselineCommit
  if (!baseline) throw new AppError('internal', 'The task has no baseline commit.')
  const diff = await computeDiff({ workspace: paths.workspace, gitDir: paths.gitDir, baseline })
  await store.writeArtifact(taskId, 'diff.patch', diff.patch)
  const summary = { files: diff.files, additions: diff.additions, deletions: diff.deletions }
  deps.emit({ type: 'diff', diff: summary })
  await store.update(taskId, { diff: summary, status: 'review', finishedAt: new Date().toISOString() })
  deps.emit({ type: 'status', status: 'review' })
}
