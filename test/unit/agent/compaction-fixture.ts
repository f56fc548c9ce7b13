/** A long task for the context-management tests: a tool with big outputs, a scripted model, a window. */
import { onTestFinished } from 'vitest'
import OpenAI from 'openai'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { z } from 'zod'
import { runAgent, type AgentRunOptions, type AgentRunResult } from '../../../src/main/agent/loop'
import { defineTool, finishTool, type Tool, type Workspace } from '../../../src/main/agent/tools'
import type { AgentEvent } from '../../../src/shared/events'
import { startModelServer, type ChatRequest, type ScriptStep } from '../../support/model-server'
import { API_KEY, startMessages } from './harness'

/** Learned in step 1's output (its first line, so shortening keeps it): only a summary can carry it further. */
export const FACT = 'FACT-ZEBRA: the test database listens on port 48213'
export const LINES_PER_OUTPUT = 300

/** Step n's output: LINES_PER_OUTPUT lines, each marked OUT-n-; step 1's starts with FACT. */
export function checkOutput(n: number): string {
  const lines = Array.from(
    { length: LINES_PER_OUTPUT },
    (_, i) => `OUT-${n}-${i}: check ${i} passed ${'.'.repeat(24)}`,
  )
  if (n === 1) lines[0] = FACT
  return lines.join('\n')
}

export const checksTool: Tool = defineTool({
  name: 'run_checks',
  description: 'Runs check round n and prints its report.',
  schema: z.object({ n: z.number().int() }),
  async run(args) {
    return checkOutput(args.n)
  },
})

const noWorkspace: Workspace = {
  exec: () => Promise.reject(new Error('this task runs no commands')),
}

const textOf = (req: ChatRequest): string =>
  req.messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n')
const factsIn = (req: ChatRequest): string[] => [...new Set(textOf(req).match(/FACT-[A-Z]+: [^\n]*/g) ?? [])]

/** The compaction call: the loop sends it without tools. */
export const isCompactionCall = (req: ChatRequest): boolean => req.tools === undefined

/**
 * The scripted model: step k runs check round k until `steps`, then finishes with a summary naming the facts
 * its request holds. Its handoff summaries, like a faithful model's, carry the facts found in the history sent.
 */
export function longTaskScript(steps: number): {
  script: (req: ChatRequest) => ScriptStep
  stats: { modelSteps: number; compactionCalls: number; last?: ChatRequest }
} {
  const stats: { modelSteps: number; compactionCalls: number; last?: ChatRequest } = {
    modelSteps: 0,
    compactionCalls: 0,
  }
  const script = (req: ChatRequest): ScriptStep => {
    if (isCompactionCall(req)) {
      stats.compactionCalls++
      return {
        text: `Task: run the check rounds.\nDone: rounds up to ${stats.modelSteps}.\nLearned: ${factsIn(req).join('; ') || 'nothing'}\nPlan: run the next round.`,
      }
    }
    const k = ++stats.modelSteps
    stats.last = req
    if (k < steps) return { toolCalls: [{ name: 'run_checks', args: { n: k } }] }
    return {
      toolCalls: [
        { name: 'finish', args: { summary: `Ran ${k - 1} rounds. Known: ${factsIn(req).join('; ')}` } },
      ],
    }
  }
  return { script, stats }
}

export interface LongRun {
  result: AgentRunResult
  events: AgentEvent[]
  sizes: Array<{ tokens: number; refused: boolean }>
}

/** Runs the loop through the real client against a server enforcing `serverWindow`. */
export async function startLongTask(opts: {
  steps: number
  serverWindow: number
  clientWindow?: number
  onEvent?: (e: AgentEvent) => void
  fetch?: typeof fetch
  messages?: ChatCompletionMessageParam[]
  extra?: Partial<AgentRunOptions>
}) {
  const { script, stats } = longTaskScript(opts.steps)
  const server = await startModelServer(script, { contextWindow: opts.serverWindow })
  onTestFinished(() => server.close())
  const client = new OpenAI({ apiKey: API_KEY, baseURL: server.baseURL, maxRetries: 0, fetch: opts.fetch })
  const events: AgentEvent[] = []
  const run = (): Promise<AgentRunResult> =>
    runAgent({
      client,
      model: 'test-model',
      messages: opts.messages ?? startMessages('Run every check round.'),
      tools: [checksTool, finishTool],
      workspace: noWorkspace,
      contextWindow: opts.clientWindow ?? opts.serverWindow,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      limits: {
        maxSteps: opts.steps + 10,
        maxTokens: 100_000_000,
        maxCostUsd: 1000,
        deadline: Date.now() + 120_000,
      },
      onEvent: (e) => {
        // Tool outputs are not kept: the heap measurement is of the loop, not of this list.
        if (e.type !== 'tool_result' && e.type !== 'tool_call') events.push(e)
        opts.onEvent?.(e)
      },
      ...opts.extra,
    })
  return { server, stats, events, run }
}
