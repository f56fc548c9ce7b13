import type OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionAssistantMessageParam,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import type {
  FunctionTool,
  ResponseCreateParamsStreaming,
  ResponseInputItem,
  ResponseReasoningItem,
} from 'openai/resources/responses/responses'
import type { ReasoningEffort } from '../../shared/task'
import { withRetry, type CompleteOptions } from './model'
import { streamResponse } from './responses-stream'
import type { StreamSink } from './stream-guard'

/**
 * The Responses API path of the loop. The history stays Chat Completions messages (compaction,
 * conversation.json and follow-ups see no difference); it becomes Responses `input` items for each call,
 * and the reply comes back as a chat completion. The reasoning items a reply carried ride on its assistant
 * message (`reasoning`, a field the Chat path strips) and go back in front of its function calls next time.
 */

export type ReasoningItem = ResponseReasoningItem
/** An assistant message of the history, with the reasoning items of the reply it came from. */
export type AssistantMessage = ChatCompletionAssistantMessageParam & { reasoning?: ReasoningItem[] }

/** The reasoning items a message (of the history, or a reply) carries. */
export function reasoningOf(message: object): ReasoningItem[] | undefined {
  const items = (message as { reasoning?: unknown }).reasoning
  return Array.isArray(items) && items.length ? (items as ReasoningItem[]) : undefined
}

/** The message as Chat Completions takes it: without the reasoning items only the Responses API reads. */
export function withoutReasoning(message: ChatCompletionMessageParam): ChatCompletionMessageParam {
  if (!('reasoning' in message)) return message
  const { reasoning: _dropped, ...rest } = message as AssistantMessage
  return rest
}

/** Models that reason: they get `reasoning` and their encrypted reasoning back (others refuse both). */
export const isReasoningModel = (model: string): boolean => /^(o\d|gpt-5|codex)/i.test(model)

const textOf = (content: unknown): string => {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('')
}

/** One history message as Responses input items. */
function inputItems(message: ChatCompletionMessageParam): ResponseInputItem[] {
  switch (message.role) {
    case 'system':
    case 'developer':
      return [{ role: 'developer', content: textOf(message.content) }]
    case 'user':
      return [{ role: 'user', content: textOf(message.content) }]
    case 'tool':
      return [
        { type: 'function_call_output', call_id: message.tool_call_id, output: textOf(message.content) },
      ]
    case 'assistant': {
      const items: ResponseInputItem[] = [...(reasoningOf(message) ?? [])]
      const text = textOf(message.content)
      if (text) items.push({ role: 'assistant', content: text })
      for (const call of message.tool_calls ?? []) {
        const [name, args] =
          call.type === 'function'
            ? [call.function.name, call.function.arguments]
            : [call.custom.name, call.custom.input]
        items.push({ type: 'function_call', call_id: call.id, name, arguments: args })
      }
      return items
    }
    default:
      return []
  }
}

/** The history as `instructions` (a leading system prompt) and `input` items, in order. */
export function toResponsesInput(messages: readonly ChatCompletionMessageParam[]): {
  instructions?: string
  input: ResponseInputItem[]
} {
  const first = messages[0]
  const lead = first && (first.role === 'system' || first.role === 'developer')
  const input = messages.slice(lead ? 1 : 0).flatMap(inputItems)
  return lead ? { instructions: textOf(first.content), input } : { input }
}

export const toFunctionTool = (tool: ChatCompletionTool): FunctionTool | undefined =>
  tool.type === 'function'
    ? {
        type: 'function',
        name: tool.function.name,
        description: tool.function.description ?? null,
        parameters: (tool.function.parameters as FunctionTool['parameters']) ?? null,
        strict: false,
      }
    : undefined

export interface ResponsesRequest {
  model: string
  messages: readonly ChatCompletionMessageParam[]
  tools?: ChatCompletionTool[]
  /** Sent as `reasoning.effort`; unset: the model's default. */
  reasoningEffort?: ReasoningEffort
}

/**
 * The request body: stateless (`store: false`), so each call carries the whole history, and for a
 * reasoning model (or one given an effort) its reasoning comes back encrypted to be sent again.
 */
export function responsesBody(request: ResponsesRequest): ResponseCreateParamsStreaming {
  const { instructions, input } = toResponsesInput(request.messages)
  const tools = (request.tools ?? []).map(toFunctionTool).filter((t): t is FunctionTool => t !== undefined)
  const reasons = request.reasoningEffort !== undefined || isReasoningModel(request.model)
  return {
    model: request.model,
    input,
    ...(instructions !== undefined ? { instructions } : {}),
    stream: true,
    store: false,
    ...(reasons ? { include: ['reasoning.encrypted_content' as const] } : {}),
    ...(request.reasoningEffort ? { reasoning: { effort: request.reasoningEffort } } : {}),
    ...(tools.length ? { tools, tool_choice: 'auto' as const } : {}),
  }
}

const silent: StreamSink = { text: () => undefined, toolCall: () => undefined, reset: () => undefined }

/** One Responses API call, streamed, through the retry loop every model call shares (model.ts). */
export function respondWithRetry(
  client: OpenAI,
  request: ResponsesRequest,
  opts: CompleteOptions,
): Promise<ChatCompletion> {
  const body = responsesBody(request)
  return withRetry(client, request.model, opts, (attempt) =>
    streamResponse(client, body, attempt, opts.stream ?? silent),
  )
}
