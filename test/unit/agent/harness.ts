import { expect, onTestFinished } from 'vitest'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { AppError } from '../../../src/main/errors'
import type { AgentEvent } from '../../../src/shared/events'
import {
  runAgent,
  type AgentLimits,
  type AgentRunOptions,
  type AgentRunResult,
} from '../../../src/main/agent/loop'
import { createModelClient } from '../../../src/main/agent/model'
import { defaultTools } from '../../../src/main/agent/tools'
import { LocalWorkspace } from '../../support/local-workspace'
import {
  startModelServer,
  type ChatRequest,
  type ModelServer,
  type ScriptStep,
} from '../../support/model-server'
import { tempDir } from '../../support/tmp'

export const API_KEY = 'sk-test-Zq9dK2mV7xR4pL8sN3bT6yW1'

export type RunExtra = Omit<Partial<AgentRunOptions>, 'limits'> & { limits?: Partial<AgentLimits> }

export interface Harness {
  dir: string
  server: ModelServer
  events: AgentEvent[]
  run(extra?: RunExtra): Promise<AgentRunResult>
  /** Runs and expects an AppError, returning it. */
  fail(extra?: RunExtra): Promise<AppError>
}

export const startMessages = (task = 'Do the thing'): ChatCompletionMessageParam[] => [
  { role: 'system', content: 'You are a test agent.' },
  { role: 'user', content: task },
]

/** A scripted model server, a LocalWorkspace in a temp dir, and runAgent wired to both through the real client. */
export async function harness(
  script: ScriptStep[] | ((req: ChatRequest, index: number) => ScriptStep),
  serverOpts: { apiKey?: string } = {},
): Promise<Harness> {
  const dir = await tempDir('codex-agent-')
  const server = await startModelServer(script, serverOpts)
  onTestFinished(() => server.close())
  const client = createModelClient({ apiKey: API_KEY, baseURL: server.baseURL, timeoutMs: 30_000 })
  const events: AgentEvent[] = []
  const run: Harness['run'] = async (extra = {}) => {
    const { limits, ...rest } = extra
    const result = await runAgent({
      client,
      model: 'test-model',
      messages: startMessages(),
      tools: defaultTools(),
      workspace: new LocalWorkspace(dir),
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      onEvent: (e) => events.push(e),
      ...rest,
      limits: {
        maxSteps: 20,
        maxTokens: 1_000_000,
        maxCostUsd: 10,
        deadline: Date.now() + 60_000,
        ...limits,
      },
    })
    expect(JSON.stringify(result)).not.toContain(API_KEY)
    expect(JSON.stringify(events)).not.toContain(API_KEY)
    return result
  }
  const fail: Harness['fail'] = async (extra) => {
    const err = await run(extra).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(AppError)
    const appErr = err as AppError
    expect(JSON.stringify({ ...appErr.toData(), message: appErr.message, events })).not.toContain(API_KEY)
    return appErr
  }
  return { dir, server, events, run, fail }
}
