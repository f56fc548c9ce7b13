import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { AgentEvent } from '../../shared/events'
import type { TaskRecord } from '../../shared/task'
import { contextWindowOf, unknownWindowNote } from '../agent/context-window'
import { runAgent } from '../agent/loop'
import { modelCallOptions } from '../agent/model-call'
import { usageAfter } from '../agent/pricing'
import { createModelClient } from '../agent/model'
import { buildSystemPrompt, discoverAgentsMd, initialMessages, repoTree } from '../agent/prompt'
import { defaultTools } from '../agent/tools'
import { giveWorkspaceTo, sandboxUser, type Sandbox } from '../docker/sandbox'
import { unixScript } from '../docker/stdin-frame'
import { AppError } from '../errors'
import { recordBaseline } from '../git/baseline'
import { computeDiff } from '../git/diff'
import { readWorkspaceFileSync } from '../util/workspace-read'
import { codexModelProxy, modelBaseUrl, probeResponsesApi } from './codex-model'
import { CODEX_THREAD_ARTIFACT, codexPrompt, runCodexTurn } from './codex-turn'
import { saveDiffSnapshot } from './diff-snapshot'
import { importSource } from './import-source'
import { inSandbox, phaseNetworkOf } from './phase-sandbox'
import { networkForPrompt } from './phase-network'
import { clearPartialImport, conversationKeeper, markAgentStep } from './resume'
import { PLAN_MESSAGES, turnSteps, type TurnPlan, type TurnSteps } from './resume-plan'
import { setupThroughCache } from './setup-cache-phase'
import { watchSetupSilence } from './setup-watch'
import { checkSignal, setStatus, type TurnDeps } from './turn-deps'
import { endTurnReview, startTurnReview, type TurnStart } from './turn-review'

export type { DockerClient, TurnDeps } from './turn-deps'
export type { TurnPlan } from './resume-plan'

/** What of a setup's output reaches setup.log and the timeline as it comes. */
const MAX_SETUP_LOG_BYTES = 8 * 1024 * 1024
/** The setup script is read from the workspace; nobody's setup.sh is bigger than this. */
const MAX_SETUP_SCRIPT_BYTES = 1024 * 1024

/**
 * One turn of a task. The host touches the workspace only while no process of the task can run:
 *  1. (first turn) import the code and record its baseline;
 *  2. (first turn) read setup.sh, then run it in a container of its own (its network policy), removed when it
 *     ends, so that nothing it started survives into the agent phase;
 *  3. (first turn) read AGENTS.md and the tree for the prompt;
 *  4. run the agent in a fresh container (its network policy: none by default), removed when the turn ends;
 *  5. compute the diff against the baseline, and the turn's own (turn-review.ts: a snapshot at its start,
 *     before the first container, and at its end).
 * A resume (resume-plan.ts) goes on from where the cut-off turn got to.
 */
export async function runTurn(taskId: string, plan: TurnPlan, deps: TurnDeps): Promise<void> {
  const { store, signal } = deps
  const paths = store.paths(taskId)
  let task = await setStatus(deps, taskId, 'preparing', PLAN_MESSAGES[plan.kind])
  const steps = turnSteps(task, plan)
  if (!task.baselineCommit) {
    if (plan.kind === 'resume') await deps.exclusive(() => clearPartialImport(paths))
    task = await deps.exclusive(() => importAndRecordBaseline(deps, task))
  } else if (plan.kind === 'first') {
    throw new AppError('conflict', 'This task was already imported; it cannot start over.', {
      hint: 'Send a follow-up instead, or start a new task.',
    })
  }
  const turnStart = steps.review ?? (await startTurnReview(deps, taskId, steps.followUp !== undefined))
  task = await store.update(taskId, {
    pendingResume: undefined,
    ...(steps.review ? {} : { checkpoint: { turns: task.turns, review: turnStart } }),
  })

  const codex = task.runtime === 'codex'
  // Codex speaks only the Responses API: an endpoint without it is said before anything is built or run.
  if (codex) await probeResponsesApi(modelBaseUrl(deps), deps.apiKey, signal)
  const image = await deps.ensureImage(
    (line, ratio) => deps.emit({ type: 'progress', phase: 'image', message: line, ratio }),
    codex ? 'codex' : undefined,
  )
  checkSignal(signal)
  if (steps.setup) {
    const setupScript = await deps.exclusive(() => findSetupScript(deps, task, paths.workspace))
    if (setupScript) {
      const runSetup = (): Promise<void> => runSetupPhase(deps, task, image, setupScript)
      // A resumed setup starts from a half-set-up workspace: neither restored over nor saved.
      if (plan.kind === 'resume') await runSetup()
      else await setupThroughCache(deps, task, image, setupScript, runSetup)
    }
  }
  if (codex) await runCodexPhase(deps, task, image, steps)
  else {
    const messages = await deps.exclusive(() => turnMessages(deps, task, steps))
    checkSignal(signal)
    await inSandbox(deps, task, image, 'agent', async (sandbox) => {
      await setStatus(deps, taskId, 'running')
      await runAgentTurn(deps, task, sandbox, messages)
    })
  }
  await deps.exclusive(() => finishWithDiff(deps, taskId, turnStart))
}

/** The agent phase of a Codex task: Codex in the sandbox, its model traffic through the model proxy. */
async function runCodexPhase(
  deps: TurnDeps,
  task: TaskRecord,
  image: string,
  steps: TurnSteps,
): Promise<void> {
  const network = networkForPrompt(phaseNetworkOf(deps, task, 'agent'), task.allowedHosts ?? [])
  const fresh = codexPrompt(task, network, steps.followUp)
  // A resume goes on in Codex's own thread when it has one, else starts the turn's prompt again with the note.
  const thread = steps.note ? (await deps.store.readArtifact(task.id, CODEX_THREAD_ARTIFACT))?.trim() : ''
  const prompt = steps.note ? (thread ? steps.note : `${fresh}\n${steps.note}\n`) : fresh
  if (!steps.followUp && !steps.note) await deps.store.writeArtifact(task.id, 'prompt.md', prompt)
  const model = codexModelProxy(deps, task)
  checkSignal(deps.signal)
  await inSandbox(
    deps,
    task,
    image,
    'agent',
    async (sandbox) => {
      await setStatus(deps, task.id, 'running')
      await markAgentStep(deps.store, task.id)
      await runCodexTurn(deps, task, sandbox, model, prompt, steps.followUp !== undefined || Boolean(thread))
    },
    model.listen,
  )
}

async function importAndRecordBaseline(deps: TurnDeps, task: TaskRecord): Promise<TaskRecord> {
  const paths = deps.store.paths(task.id)
  const imported = await importSource({
    source: task.source,
    dest: paths.workspace,
    upstreamDir: paths.upstream,
    settings: deps.settings,
    githubToken: deps.githubToken,
    signal: deps.signal,
    onProgress: (p) => deps.emit({ type: 'progress', ...p }),
  })
  // Hand the copy to the sandbox user before the baseline, so git's index matches the files' metadata.
  await giveWorkspaceTo(paths.workspace, sandboxUser())
  const baseline = await recordBaseline({
    workspace: paths.workspace,
    gitDir: paths.gitDir,
    signal: deps.signal,
    linksAsFiles: imported.linksAsFiles,
  })
  for (const warning of imported.warnings) deps.emit({ type: 'log', stream: 'system', text: `${warning}\n` })
  if (baseline.skipped.length) {
    const list = baseline.skipped.map((e) => `${e.path} (${e.reason})`).join(', ')
    deps.emit({
      type: 'log',
      stream: 'system',
      text: `Left out of the task (git cannot hold them): ${list}\n`,
    })
  }
  return deps.store.update(task.id, {
    baselineCommit: baseline.commit,
    sourceBranch: imported.sourceBranch,
    sourceCommit: imported.sourceCommit,
  })
}

/**
 * The task's own setup script, else the repository's setup.sh — read without following links and only
 * when it is a regular file of sane size. Anything else is reported and not run.
 */
async function findSetupScript(
  deps: TurnDeps,
  task: TaskRecord,
  workspace: string,
): Promise<string | undefined> {
  if (task.setupScript?.trim()) return task.setupScript
  const read = readWorkspaceFileSync(workspace, 'setup.sh', { maxBytes: MAX_SETUP_SCRIPT_BYTES })
  if (read.ok) return read.content.toString('utf8')
  if (read.reason === 'missing') return undefined
  const text = `setup.sh was not run: ${read.message} Only a regular file of at most 1 MiB is run.\n`
  deps.store.appendArtifact(task.id, 'setup.log', text)
  deps.emit({ type: 'log', stream: 'setup', text })
  return undefined
}

async function runSetupPhase(deps: TurnDeps, task: TaskRecord, image: string, script: string): Promise<void> {
  await inSandbox(deps, task, image, 'setup', async (sandbox, network) => {
    await setStatus(deps, task.id, 'setting_up')
    const say = (text: string): void => {
      deps.store.appendArtifact(task.id, 'setup.log', text)
      deps.emit({ type: 'log', stream: 'setup', text })
    }
    const silence = watchSetupSilence({
      pending: () => network.proxy?.pending() ?? [],
      say: (text) => deps.emit({ type: 'log', stream: 'system', text }),
    })
    try {
      const remaining = deps.deadline - Date.now()
      // Framed on stdin by runExec (no half-close needed); CRLF line ends would break bash.
      const result = await sandbox.exec(['bash', '-s'], {
        stdin: unixScript(script),
        cwd: '/workspace',
        timeoutMs: Math.max(1000, remaining),
        signal: deps.signal,
        // Output as it comes, not when a buffer fills (Python buffers a pipe).
        env: { PYTHONUNBUFFERED: '1' },
        // A setup that floods (GBs of output) is still drained, but setup.log and the timeline stop at this.
        maxStreamedBytes: MAX_SETUP_LOG_BYTES,
        onOutput: (text) => {
          silence.output()
          say(text)
        },
      })
      checkSignal(deps.signal)
      if (result.exitCode !== 0) {
        throw new AppError('setup_failed', `The setup script exited with code ${result.exitCode}.`, {
          hint: 'Read setup.log, fix setup.sh (or the task’s setup script), and run the task again.',
          details: { exitCode: result.exitCode, timedOut: result.timedOut },
        })
      }
    } finally {
      silence.stop()
    }
  })
}

/**
 * The conversation the turn starts from: the saved one plus the resume's note or the follow-up, or a new
 * prompt.
 */
async function turnMessages(
  deps: TurnDeps,
  task: TaskRecord,
  steps: TurnSteps,
): Promise<ChatCompletionMessageParam[]> {
  const { store } = deps
  const next = steps.note ?? steps.followUp
  if (next) {
    const saved = await store.readArtifact(task.id, 'conversation.json')
    return [
      ...(saved ? (JSON.parse(saved) as ChatCompletionMessageParam[]) : []),
      { role: 'user', content: next },
    ]
  }
  const workspace = store.paths(task.id).workspace
  const agentsDocs = await discoverAgentsMd(workspace, task.focusFiles)
  const system = buildSystemPrompt({
    tree: await repoTree(workspace),
    focusFiles: task.focusFiles,
    agentsDocs,
    network: networkForPrompt(phaseNetworkOf(deps, task, 'agent'), task.allowedHosts ?? []),
  })
  await store.writeArtifact(task.id, 'prompt.md', `${system}\n\n---\n\n${task.prompt}\n`)
  return initialMessages(system, task.prompt)
}

async function runAgentTurn(
  deps: TurnDeps,
  task: TaskRecord,
  sandbox: Sandbox,
  messages: ChatCompletionMessageParam[],
): Promise<void> {
  const { store } = deps
  const client = createModelClient({ apiKey: deps.apiKey, baseURL: deps.baseURL })
  const window = contextWindowOf(task.model, task.limits.contextWindow ?? deps.settings.limits.contextWindow)
  // Said once a task, on its first turn.
  if (window.source === 'default' && task.turns === 0)
    deps.emit({ type: 'log', stream: 'system', text: `${unknownWindowNote(task.model)}\n` })
  // The history comes back compacted when the context filled up: conversation.json keeps that one, so a
  // follow-up starts from it. It is kept as the turn goes too, so that a resume goes on from the last step.
  const keep = conversationKeeper(store, task.id)
  await keep(messages)
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
    contextWindow: window.tokens,
    stream: true,
    ...modelCallOptions(deps.settings, task),
    signal: deps.signal,
    toolNote: (startedAt) => deps.notes.toolNote(startedAt),
    notes: () => deps.notes.take(),
    onStep: (history) => void keep(history).catch(() => undefined),
    onEvent: (event) => {
      deps.emit(event)
      if (event.type === 'usage') void updateUsage(deps, task.id, event)
      // A compaction's summary call is not a step, but its tokens and cost count.
      if (event.type === 'compaction' && event.promptTokens !== undefined) {
        const { step, promptTokens, completionTokens = 0, costUsd = 0 } = event
        void updateUsage(deps, task.id, { type: 'usage', step, promptTokens, completionTokens, costUsd }, 0)
      }
    },
  })
  await keep(result.messages)
  await store.writeArtifact(task.id, 'summary.md', `${result.summary}\n`)
  await store.update(task.id, { usage: result.usage, summary: result.summary, turns: task.turns + 1 })
}

/** The live totals as answers arrive (cached tokens and an unknown cost kept); a summary call is no step. */
async function updateUsage(
  deps: TurnDeps,
  taskId: string,
  event: Extract<AgentEvent, { type: 'usage' }>,
  steps = 1,
): Promise<void> {
  const next = usageAfter(deps.store.get(taskId).usage, event)
  await deps.store.update(taskId, { usage: { ...next, steps: next.steps - 1 + steps } })
}

async function finishWithDiff(deps: TurnDeps, taskId: string, turnStart: TurnStart): Promise<void> {
  const { store } = deps
  const paths = store.paths(taskId)
  const baseline = store.get(taskId).baselineCommit
  if (!baseline) throw new AppError('internal', 'The task has no baseline commit.')
  const diff = await computeDiff({ workspace: paths.workspace, gitDir: paths.gitDir, baseline })
  // The turn's snapshot and own counts (git) run while the diff's artifacts are written (disk).
  const [summary, review] = await Promise.all([
    store.writeArtifact(taskId, 'diff.patch', diff.patch).then(() => saveDiffSnapshot(store, taskId, diff)),
    endTurnReview(deps, taskId, turnStart, diff),
  ])
  deps.emit({ type: 'diff', diff: summary, turn: turnStart.turn })
  await store.update(taskId, {
    ...review.patch,
    diff: summary,
    status: 'review',
    pendingFollowUp: undefined,
    finishedAt: new Date().toISOString(),
  })
  deps.emit({ type: 'status', status: 'review', ...(review.message ? { message: review.message } : {}) })
}
