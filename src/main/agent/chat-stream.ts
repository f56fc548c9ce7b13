import type OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'
import { readStream, type StreamReader, type StreamRequest, type StreamSink } from './stream-guard'

export { StreamDropped, type StreamSink } from './stream-guard'

type FinishReason = ChatCompletion.Choice['finish_reason']

/** Puts a streamed chat completion back together, exactly as the API answers it without streaming. */
export class ChatStreamAssembler implements StreamReader<ChatCompletionChunk> {
  private id = ''
  private created = 0
  private model = ''
  private content: string | null = null
  private refusal: string | null = null
  private readonly calls: Array<{ id: string; name: string; args: string }> = []
  private finish: FinishReason | null = null
  private usage: CompletionUsage | undefined
  /** True once a delta went to the sink. */
  began = false

  constructor(private readonly sink: StreamSink) {}

  get finished(): boolean {
    return this.finish !== null
  }

  consume(chunk: ChatCompletionChunk): void {
    this.id ||= chunk.id
    this.created ||= chunk.created
    this.model ||= chunk.model
    if (chunk.usage) this.usage = chunk.usage
    const choice = chunk.choices.find((c) => c.index === 0)
    if (!choice) return
    const { content, refusal, tool_calls } = choice.delta
    // The opening chunk's empty content is no text: a reply of tool calls only has content null.
    if (content) {
      this.content = (this.content ?? '') + content
      this.say(content)
    }
    if (refusal) {
      this.refusal = (this.refusal ?? '') + refusal
      this.say(refusal)
    }
    for (const part of tool_calls ?? []) this.addCall(part)
    if (choice.finish_reason) this.finish = choice.finish_reason
  }

  result(): ChatCompletion {
    const toolCalls = this.calls.map((c): ChatCompletionMessageFunctionToolCall => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.args },
    }))
    const message: ChatCompletion.Choice['message'] = {
      role: 'assistant',
      content: this.content,
      refusal: this.refusal,
      ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
    }
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, message, finish_reason: this.finish ?? 'stop', logprobs: null }],
      ...(this.usage ? { usage: this.usage } : {}),
    }
  }

  private say(text: string): void {
    this.began = true
    this.sink.text(text)
  }

  private addCall(part: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const call = (this.calls[part.index] ??= { id: '', name: '', args: '' })
    const fresh = { callId: part.id && !call.id ? part.id : undefined, name: part.function?.name }
    if (part.id) call.id = part.id
    if (part.function?.name) call.name = part.function.name
    const argsDelta = part.function?.arguments ?? ''
    call.args += argsDelta
    if (!fresh.callId && !fresh.name && !argsDelta) return
    this.began = true
    this.sink.toolCall(part.index, {
      ...(fresh.callId ? { callId: fresh.callId } : {}),
      ...(fresh.name ? { name: fresh.name } : {}),
      argsDelta,
    })
  }
}

/**
 * One streamed chat completion (`include_usage`: the last chunk carries the usage), its deltas told to
 * `sink` as they arrive, assembled into the completion the non-streaming call returns. A stream that breaks
 * off, stalls or outlasts its time throws StreamDropped (stream-guard.ts).
 */
export async function streamCompletion(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  request: StreamRequest,
  sink: StreamSink,
): Promise<ChatCompletion> {
  const assembler = new ChatStreamAssembler(sink)
  await readStream(request, sink, assembler, (signal) =>
    client.chat.completions.create(
      { ...body, stream: true, stream_options: { include_usage: true } },
      { signal, timeout: request.timeout },
    ),
  )
  return assembler.result()
}
