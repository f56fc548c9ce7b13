import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions'
import { CHARS_PER_TOKEN } from './tools/budget'

/**
 * A tokenizer-free estimate of a prompt's size: characters / 4, plus a few tokens of framing per message
 * and per tool call, plus the tool schemas. `Calibration` scales it by what the API reported.
 */
const PER_MESSAGE = 4
const PER_TOOL_CALL = 8

const textOf = (content: unknown): number => {
  if (typeof content === 'string') return content.length
  if (!Array.isArray(content)) return 0
  let n = 0
  for (const part of content as Array<{ text?: unknown }>)
    if (typeof part?.text === 'string') n += part.text.length
  return n
}

/** The estimated tokens of one message. */
export function estimateMessageTokens(message: ChatCompletionMessageParam): number {
  let chars = textOf(message.content)
  let framing = PER_MESSAGE
  if (message.role === 'assistant' && message.tool_calls) {
    for (const call of message.tool_calls) {
      framing += PER_TOOL_CALL
      chars += call.id.length
      chars +=
        call.type === 'function'
          ? call.function.name.length + call.function.arguments.length
          : call.custom.name.length + call.custom.input.length
    }
  }
  if (message.role === 'tool') chars += message.tool_call_id.length
  return framing + Math.ceil(chars / CHARS_PER_TOKEN)
}

/** The estimated tokens of the tool schemas sent with each call. */
export const estimateToolTokens = (tools: ChatCompletionTool[]): number =>
  tools.length ? Math.ceil(JSON.stringify(tools).length / CHARS_PER_TOKEN) : 0

export function estimatePromptTokens(
  messages: readonly ChatCompletionMessageParam[],
  toolTokens: number,
): number {
  let total = toolTokens + 3
  for (const message of messages) total += estimateMessageTokens(message)
  return total
}

/**
 * The running ratio of the prompt tokens the API reported to the estimate of the same prompt; the estimate
 * times it is what the loop compares with the window. Starts at 1 and never trusts a ratio below 0.5 or above
 * 4 (a server that reports nothing, or nonsense). Servers that report no usage leave it at 1.
 */
export class Calibration {
  private reported = 0
  private estimated = 0

  observe(estimatedTokens: number, reportedTokens: number): void {
    if (estimatedTokens <= 0 || reportedTokens <= 0) return
    this.estimated += estimatedTokens
    this.reported += reportedTokens
  }

  get ratio(): number {
    if (!this.estimated) return 1
    return Math.min(4, Math.max(0.5, this.reported / this.estimated))
  }

  apply(estimatedTokens: number): number {
    return Math.ceil(estimatedTokens * this.ratio)
  }
}
