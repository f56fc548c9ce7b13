import OpenAI from 'openai'
import type { ChatCompletion, ChatCompletionMessageFunctionToolCall } from 'openai/resources/chat/completions'
import type {
  Response,
  ResponseCreateParamsStreaming,
  ResponseOutputItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses'
import type { ReasoningItem } from './responses-call'
import { readStream, type StreamReader, type StreamRequest, type StreamSink } from './stream-guard'

/** Failure codes of a response that a new attempt may get past; others are refusals the user must see. */
const RETRYABLE_CODES = new Set(['server_error', 'rate_limit_exceeded', 'vector_store_timeout'])

/** A refusal that arrived mid-stream (an `error` event, `response.failed`), mapped like an HTTP refusal. */
function refusal(code: string | null | undefined, message: string): InstanceType<typeof OpenAI.APIError> {
  return new OpenAI.APIError(undefined, { code, message, type: 'invalid_request_error' }, message, undefined)
}

const isRefusal = (err: unknown): boolean =>
  err instanceof OpenAI.APIError && err.status === undefined && !RETRYABLE_CODES.has(String(err.code))

/**
 * Reads a streamed response: text and function-call arguments go to the sink as they come (a call's name
 * first), the items as they are done, and `response.completed` gives the usage. The result is the chat
 * completion the loop consumes, its message carrying the reply's reasoning items.
 */
export class ResponseAssembler implements StreamReader<ResponseStreamEvent> {
  private text = ''
  private readonly done = new Map<number, ResponseOutputItem>()
  /** output_index → the tool call's index in the reply. */
  private readonly calls = new Map<number, number>()
  private response: Response | undefined
  began = false

  constructor(private readonly sink: StreamSink) {}

  get finished(): boolean {
    return this.response !== undefined
  }

  passThrough(err: unknown): boolean {
    return isRefusal(err)
  }

  consume(event: ResponseStreamEvent): void {
    switch (event.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        this.text += event.delta
        if (event.delta) this.say(() => this.sink.text(event.delta))
        return
      case 'response.output_item.added':
        if (event.item.type !== 'function_call') return
        this.calls.set(event.output_index, this.calls.size)
        this.say(() =>
          this.sink.toolCall(this.calls.size - 1, {
            callId: event.item.type === 'function_call' ? event.item.call_id : undefined,
            name: event.item.type === 'function_call' ? event.item.name : undefined,
            argsDelta: '',
          }),
        )
        return
      case 'response.function_call_arguments.delta': {
        const index = this.calls.get(event.output_index)
        if (index !== undefined && event.delta)
          this.say(() => this.sink.toolCall(index, { argsDelta: event.delta }))
        return
      }
      case 'response.output_item.done':
        this.done.set(event.output_index, event.item)
        return
      case 'response.completed':
      case 'response.incomplete':
        this.response = event.response
        return
      case 'response.failed': {
        const error = event.response.error
        const message = `The response failed: ${error?.message ?? 'no reason given'}`
        if (RETRYABLE_CODES.has(String(error?.code))) throw new Error(message)
        throw refusal(error?.code, message)
      }
      case 'error':
        throw RETRYABLE_CODES.has(String(event.code))
          ? new Error(event.message)
          : refusal(event.code, event.message)
    }
  }

  result(): ChatCompletion {
    const response = this.response!
    const output = response.output?.length
      ? response.output
      : [...this.done.entries()].sort(([a], [b]) => a - b).map(([, item]) => item)
    const messages = output.filter((item) => item.type === 'message')
    const said = messages.flatMap((m) =>
      m.content.map((part) => (part.type === 'output_text' ? part.text : '')),
    )
    const refused = messages.flatMap((m) =>
      m.content.map((part) => (part.type === 'refusal' ? part.refusal : '')),
    )
    const text = messages.length ? said.join('') : this.text
    const toolCalls = output.flatMap((item): ChatCompletionMessageFunctionToolCall[] =>
      item.type === 'function_call'
        ? [{ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } }]
        : [],
    )
    const reasoning = output.filter((item): item is ReasoningItem => item.type === 'reasoning')
    const message: ChatCompletion.Choice['message'] & { reasoning?: ReasoningItem[] } = {
      role: 'assistant',
      content: text || null,
      refusal: refused.join('') || null,
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      ...(reasoning.length ? { reasoning } : {}),
    }
    const finish = toolCalls.length ? 'tool_calls' : response.status === 'incomplete' ? 'length' : 'stop'
    const usage = response.usage
    return {
      id: response.id,
      object: 'chat.completion',
      created: response.created_at,
      model: response.model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
      ...(usage
        ? {
            usage: {
              prompt_tokens: usage.input_tokens,
              completion_tokens: usage.output_tokens,
              total_tokens: usage.total_tokens,
              prompt_tokens_details: { cached_tokens: usage.input_tokens_details?.cached_tokens ?? 0 },
            },
          }
        : {}),
    }
  }

  private say(tell: () => void): void {
    this.began = true
    tell()
  }
}

/**
 * One streamed Responses API call, its deltas told to `sink`, returned as a chat completion. A stream that
 * breaks off, stalls or fails with a retryable code throws StreamDropped (stream-guard.ts); a refusal
 * (`context_length_exceeded`…) throws as the API error it is.
 */
export async function streamResponse(
  client: OpenAI,
  body: ResponseCreateParamsStreaming,
  request: StreamRequest,
  sink: StreamSink,
): Promise<ChatCompletion> {
  const assembler = new ResponseAssembler(sink)
  await readStream(request, sink, assembler, (signal) =>
    client.responses.create(body, { signal, timeout: request.timeout }),
  )
  return assembler.result()
}
