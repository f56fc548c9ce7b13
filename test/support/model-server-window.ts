/**
 * The scripted model server's context window: each request's size is estimated here in a way of its own (the
 * body's UTF-8 bytes / 3, cruder than and unlike the client's characters / 4 with overheads), so the client's
 * estimate is tested against something it does not share. A request above the window is refused the way OpenAI
 * refuses it: HTTP 400, code `context_length_exceeded`.
 */

export interface WindowRecord {
  /** The estimated tokens of every well-formed request, in order, and whether it was refused. */
  sizes: Array<{ tokens: number; refused: boolean }>
}

/** The server's own estimate of a request's prompt tokens: its messages' (or input's) and tools' JSON, bytes / 3. */
export function serverTokens(body: Record<string, unknown>): number {
  const { messages, input, instructions, tools } = body
  const bytes = Buffer.byteLength(JSON.stringify({ messages, instructions, input, tools }), 'utf8')
  return Math.ceil(bytes / 3)
}

/** OpenAI's refusal of a request longer than the window. */
export const contextLengthError = (window: number, tokens: number) => ({
  error: {
    message:
      `This model's maximum context length is ${window} tokens. However, your messages resulted in ` +
      `${tokens} tokens. Please reduce the length of the messages.`,
    type: 'invalid_request_error',
    param: 'messages',
    code: 'context_length_exceeded',
  },
})
