import type OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import { resolveModelApi, type Settings } from '../../shared/settings'
import type { ReasoningEffort } from '../../shared/task'
import { completeWithRetry, type CompleteOptions } from './model'
import { respondWithRetry, withoutReasoning } from './responses-call'

/** The wire API a model call goes over (Settings' `modelApi`, resolved for the endpoint). */
export type WireApi = 'chat' | 'responses'

/** Where and how the loop's model calls go. */
export interface ModelEndpoint {
  client: OpenAI
  model: string
  /** Default 'chat'. */
  api?: WireApi
  /** Set by the user: `reasoning.effort` (Responses) or `reasoning_effort` (Chat); unset: the model's default. */
  reasoningEffort?: ReasoningEffort
}

/**
 * One model call on the history, over the endpoint's API, with the shared retry loop (model.ts): the reply
 * comes back as a chat completion either way, its message carrying reasoning items on the Responses path.
 */
export function callModel(
  endpoint: ModelEndpoint,
  request: { messages: ChatCompletionMessageParam[]; tools?: ChatCompletionTool[] },
  opts: CompleteOptions,
): Promise<ChatCompletion> {
  const { client, model, reasoningEffort } = endpoint
  if (endpoint.api === 'responses') {
    return respondWithRetry(client, { model, ...request, reasoningEffort }, opts)
  }
  const tools = request.tools?.length ? { tools: request.tools, tool_choice: 'auto' as const } : {}
  const body = {
    model,
    messages: request.messages.map(withoutReasoning),
    ...tools,
    ...(reasoningEffort ? { reasoning_effort: reasoningEffort } : {}),
  }
  return completeWithRetry(client, body, opts)
}

/**
 * The runAgent options a task's model calls take from Settings and the task: the wire API for the endpoint
 * (resolveModelApi), the reasoning effort (the task's, else Settings'), the stream idle timeout.
 */
export function modelCallOptions(
  settings: Pick<Settings, 'modelApi' | 'baseUrl' | 'reasoningEffort' | 'streamIdleSeconds'>,
  task: { reasoningEffort?: ReasoningEffort },
): { api: WireApi; reasoningEffort?: ReasoningEffort; streamIdleMs: number } {
  const reasoningEffort = task.reasoningEffort ?? settings.reasoningEffort
  return {
    api: resolveModelApi(settings).api,
    ...(reasoningEffort ? { reasoningEffort } : {}),
    streamIdleMs: settings.streamIdleSeconds * 1000,
  }
}
