import type OpenAI from 'openai'
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import { AppError } from '../errors'
import type { AgentEvent } from '../../shared/events'
import { emptyUsage, type ReasoningEffort, type TaskUsage } from '../../shared/task'
import { redact, type RetryPolicy } from './model'
import { callModel, type ModelEndpoint, type WireApi } from './model-call'
import { reasoningOf, type AssistantMessage } from './responses-call'
import { addAnswerUsage, priceAnswer, usageEvent, type PricingTable } from './pricing'
import { ToolError, type Tool, type Workspace } from './tools/tool'
import { contextWindowOf } from './context-window'
import { ContextKeeper } from './context-keeper'
import { StepDeltas } from './step-deltas'

export interface AgentLimits {
  maxSteps: number
  maxTokens: number
  maxCostUsd: number
  /** Epoch ms. */
  deadline: number
}

export interface AgentRunOptions {
  client: OpenAI
  model: string
  /** The history so far, including the system prompt and the new user message. */
  messages: ChatCompletionMessageParam[]
  tools: Tool[]
  workspace: Workspace
  /** Limits on the task's totals, usageSoFar included. */
  limits: AgentLimits
  usageSoFar?: TaskUsage
  pricing?: PricingTable
  retry?: Partial<RetryPolicy>
  signal?: AbortSignal
  onEvent: (e: AgentEvent) => void
  /** Appended to a tool's result: what happened meanwhile outside it (a blocked network request). */
  toolNote?: (startedAt: number) => string | undefined
  /** Messages from the engine for the model, taken before each model call (the user allowed a host). */
  notes?: () => string[]
  /** The model's context window in tokens (Settings or the task); unset: context-window.ts's table. */
  contextWindow?: number
  /** Stream the model's replies: deltas are events while a reply is written (model_text_delta…). */
  stream?: boolean
  /** The wire API of the endpoint (default Chat Completions); the history is kept as chat messages either way. */
  api?: WireApi
  /** The reasoning effort the user chose; unset: the model's default. */
  reasoningEffort?: ReasoningEffort
  /** A streamed reply that sends nothing for this long (ms) is retried (default 60 s). */
  streamIdleMs?: number
  /**
   * Told the history after each whole step (the model's reply and every tool result it asked for), so that
   * a turn cut off mid-way can go on from there; never with a tool call split from its result.
   */
  onStep?: (messages: ChatCompletionMessageParam[]) => void
}

export interface AgentRunResult {
  summary: string
  usage: TaskUsage
  messages: ChatCompletionMessageParam[]
}

const fmt = (n: number): string => n.toLocaleString('en-US')
const usd = (n: number): string => `$${n.toFixed(n < 1 ? 4 : 2)}`

/** Throws the error of the first limit used up; the step limit only stops model calls (beforeModel). */
function checkLimits(
  limits: AgentLimits,
  usage: TaskUsage,
  signal: AbortSignal | undefined,
  beforeModel: boolean,
): void {
  if (signal?.aborted) throw new AppError('cancelled', 'The task was cancelled')
  if (Date.now() >= limits.deadline) {
    throw new AppError('timeout', 'The task hit its time limit', {
      hint: 'Give the task a longer time limit, or narrow it down.',
      details: { deadline: new Date(limits.deadline).toISOString(), steps: usage.steps },
    })
  }
  const tokens = usage.promptTokens + usage.completionTokens
  const hit =
    beforeModel && usage.steps >= limits.maxSteps
      ? `Step limit reached: ${usage.steps} of ${limits.maxSteps} steps used`
      : tokens >= limits.maxTokens
        ? `Token limit reached: ${fmt(tokens)} of ${fmt(limits.maxTokens)} tokens used`
        : usage.costUsd >= limits.maxCostUsd
          ? `Cost limit reached: ${usd(usage.costUsd)} of ${usd(limits.maxCostUsd)} spent`
          : null
  if (hit) {
    throw new AppError('budget_exceeded', hit, {
      hint: 'Raise the limit in the task or settings, or split the task into smaller ones.',
      details: { ...usage, tokens, limits: { ...limits, deadline: undefined } },
    })
  }
}

const toChatTool = (tool: Tool): ChatCompletionTool => ({
  type: 'function',
  function: { name: tool.name, description: tool.description, parameters: tool.parameters },
})

/** Runs one agent turn: model calls and tool calls until the model finishes, or a limit ends it. */
export async function runAgent(opts: AgentRunOptions): Promise<AgentRunResult> {
  const { client, limits, signal } = opts
  let messages = [...opts.messages]
  const usage: TaskUsage = { ...(opts.usageSoFar ?? emptyUsage()) }
  const byName = new Map(opts.tools.map((t) => [t.name, t]))
  const chatTools = opts.tools.map(toChatTool)
  const clean = (text: string): string => redact(text, [client.apiKey])
  const emit = (e: AgentEvent): void => opts.onEvent(e)
  const endpoint: ModelEndpoint = {
    client,
    model: opts.model,
    api: opts.api,
    reasoningEffort: opts.reasoningEffort,
  }
  const keeper = new ContextKeeper({
    endpoint,
    idleMs: opts.streamIdleMs,
    window: contextWindowOf(opts.model, opts.contextWindow).tokens,
    tools: chatTools,
    usage,
    deadline: limits.deadline,
    pricing: opts.pricing,
    retry: opts.retry,
    signal,
    emit,
    // The summary call's tokens and cost count: a budget it used up stops the task before the next call.
    afterSummary: () => checkLimits(limits, usage, signal, false),
  })

  for (;;) {
    checkLimits(limits, usage, signal, true)
    for (const note of opts.notes?.() ?? []) messages.push({ role: 'user', content: `[codex-sys] ${note}` })
    const step = ++usage.steps
    const deltas = opts.stream ? new StepDeltas(step, emit, clean, undefined, [client.apiKey]) : undefined
    // The history may come back compacted (context-keeper.ts): the loop goes on from that one.
    const fitted = await keeper.complete(messages, step, (history) =>
      callModel(
        endpoint,
        { messages: history, tools: chatTools },
        {
          signal,
          deadline: limits.deadline,
          retry: opts.retry,
          onRetry: (attempt, delayMs, reason) => emit({ type: 'retry', step, attempt, delayMs, reason }),
          stream: deltas,
          idleMs: opts.streamIdleMs,
        },
      ),
    )
    // The last deltas go out before the step's complete events.
    deltas?.flush()
    const completion = fitted.completion
    messages = fitted.messages
    const answer = priceAnswer(
      opts.model,
      {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
        cachedPromptTokens: completion.usage?.prompt_tokens_details?.cached_tokens,
      },
      opts.pricing,
    )
    addAnswerUsage(usage, answer)
    emit(usageEvent(step, answer))

    const reply = completion.choices[0]?.message
    if (!reply) throw new AppError('model_error', 'The model API sent a reply without a message')
    // The key never goes further than the API that knows it: not into the history, the summary or events.
    const text = clean(reply.content || reply.refusal || '')
    const calls = reply.tool_calls ?? []
    const assistant: AssistantMessage = {
      role: 'assistant',
      content: reply.content ? clean(reply.content) : (reply.content ?? null),
    }
    if (calls.length) assistant.tool_calls = calls
    // The Responses API's reasoning items ride on the message, to be sent back with it (responses-call.ts).
    const reasoning = reasoningOf(reply)
    if (reasoning) assistant.reasoning = reasoning
    messages.push(assistant)
    if (text.trim()) emit({ type: 'model_text', step, text })
    if (!calls.length) return { summary: text.trim(), usage, messages }

    let summary: string | null = null
    for (const call of calls) {
      if (summary !== null) {
        messages.push({
          role: 'tool',
          tool_call_id: call.id,
          content: 'Not run: the turn ended with finish.',
        })
        continue
      }
      const { output, ok, tool } = await runToolCall(call, step, byName, opts, emit, clean)
      messages.push({ role: 'tool', tool_call_id: call.id, content: output })
      if (ok && tool?.endsTurn) summary = output
      else checkLimits(limits, usage, signal, false)
    }
    if (summary !== null) return { summary, usage, messages }
    opts.onStep?.(messages)
  }
}

async function runToolCall(
  call: ChatCompletionMessageToolCall,
  step: number,
  byName: Map<string, Tool>,
  opts: AgentRunOptions,
  emit: (e: AgentEvent) => void,
  clean: (text: string) => string,
): Promise<{ output: string; ok: boolean; tool?: Tool }> {
  const name = call.type === 'function' ? call.function.name : call.custom.name
  const raw = call.type === 'function' ? call.function.arguments : call.custom.input
  let args: unknown = raw
  let output: string | null = null
  try {
    args = raw.trim() ? JSON.parse(raw) : {}
  } catch (err) {
    output = `Error: the arguments are not valid JSON (${(err as Error).message}). Send a JSON object.`
  }
  emit({ type: 'tool_call', step, callId: call.id, name, args })
  const started = Date.now()
  const tool = byName.get(name)
  let ok = false
  if (output === null && !tool) {
    output = `Error: there is no tool named "${name}". Available tools: ${[...byName.keys()].join(', ')}.`
  } else if (output === null && tool) {
    try {
      output = clean(
        await tool.run(args, {
          workspace: opts.workspace,
          signal: opts.signal,
          deadline: opts.limits.deadline,
        }),
      )
      ok = true
    } catch (err) {
      if (opts.signal?.aborted) throw new AppError('cancelled', 'The task was cancelled', { cause: err })
      if (!(err instanceof ToolError)) throw err
      output = clean(err.message)
    }
  }
  const note = opts.toolNote?.(started)
  const text = note ? `${output ?? ''}\n\n${note}` : (output ?? '')
  emit({
    type: 'tool_result',
    step,
    callId: call.id,
    name,
    ok,
    output: text,
    durationMs: Date.now() - started,
  })
  return { output: text, ok, tool }
}
