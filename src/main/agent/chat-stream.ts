import type OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions'
import type { CompletionUsage } from 'openai/resources/completions'

/** What a streamed reply says while it is being written. */
export interface StreamSink {
  text(piece: string): void
  toolCall(index: number, part: { callId?: string; name?: string; argsDelta: string }): void
  /** The attempt's stream broke off after it began: every delta it sent is void. */
  reset(reason: string): void
}

/** A stream that broke off after it began (a reset connection, an error mid-stream, no end): retried whole. */
export class StreamDropped extends Error {}

type FinishReason = ChatCompletion.Choice['finish_reason']

/** Puts a streamed chat completion back together, exactly as the API answers it without streaming. */
export class ChatStreamAssembler {
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

  add(chunk: ChatCompletionChunk): void {
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
 * off after it began, or is still going after `request.timeout`, throws StreamDropped after telling the sink
 * to discard what it showed.
 */
export async function streamCompletion(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  request: { signal?: AbortSignal; timeout: number },
  sink: StreamSink,
): Promise<ChatCompletion> {
  // The client's timeout ends with the headers: this one holds for the whole stream.
  const call = new AbortController()
  const cancel = (): void => call.abort()
  request.signal?.addEventListener('abort', cancel, { once: true })
  const timer = setTimeout(cancel, request.timeout)
  const timedOut = (): boolean => call.signal.aborted && !request.signal?.aborted
  const assembler = new ChatStreamAssembler(sink)
  try {
    const stream = await client.chat.completions
      .create(
        { ...body, stream: true, stream_options: { include_usage: true } },
        { signal: call.signal, timeout: request.timeout },
      )
      .catch((err: unknown) => {
        throw timedOut() ? new StreamDropped("The model's stream timed out", { cause: err }) : err
      })
    // An aborted stream may just end: a stream without its finish is as broken as one that threw.
    let failure: unknown = new Error('it ended before the reply did')
    try {
      for await (const chunk of stream) assembler.add(chunk)
    } catch (err) {
      failure = err
    }
    if (!assembler.finished)
      throw dropped(assembler, sink, failure, request.signal?.aborted === true, timedOut())
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener('abort', cancel)
  }
  return assembler.result()
}

/** The error a stream broken off mid-reply ends with, once the sink was told its deltas are void. */
function dropped(
  assembler: ChatStreamAssembler,
  sink: StreamSink,
  err: unknown,
  cancelled: boolean,
  timedOut: boolean,
): unknown {
  const reason = cancelled ? 'cancelled' : timedOut ? 'stream timed out' : 'stream dropped'
  if (assembler.began) sink.reset(reason)
  if (cancelled) return err
  const why = timedOut ? 'timed out' : `broke off: ${err instanceof Error ? err.message : String(err)}`
  return new StreamDropped(`The model's stream ${why}`, { cause: err })
}
