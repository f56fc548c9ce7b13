/** The scripted model server's types: what a test scripts and what the server records. */

/** A scripted reply (text and/or tool calls) or an HTTP error; `delayMs` holds the answer back. */
export type ScriptStep =
  | {
      text?: string
      /** `args` is sent JSON-encoded; a string is sent as it is (to send broken JSON). */
      toolCalls?: Array<{ name: string; args: unknown }>
      /** `cached_tokens`: the part of `prompt_tokens` reported as served from the prompt cache (default 0). */
      usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number }
      delayMs?: number
      /** Streamed answers only: the text's pieces, one a chunk (default: the text split after each space). */
      chunks?: string[]
      /** Streamed answers only: the pause before each chunk after the first. */
      chunkDelayMs?: number
      /** Streamed answers only: reset the connection after this many events (a stream dropped mid-reply). */
      dropAfterEvents?: number
      /** Leave usage out of the answer (servers that do not report it). */
      omitUsage?: boolean
      /** Streamed answers only: stop sending (the connection kept open) after this many events. */
      stallAfterEvents?: number
      /**
       * Responses API only: reasoning items put first in the output, each with its `encrypted_content`
       * (ids `rs_<request>_<i>`), as OpenAI's reasoning models send them with `store: false`.
       */
      reasoning?: Array<{ encrypted_content: string; summary?: string }>
    }
  /** The connection reset before an answer (no status line). */
  | { fault: 'reset'; delayMs?: number }
  /** A raw answer: what a proxy in the way, or a truncated body, sends (`body` as it is). */
  | { fault: 'raw'; status: number; contentType: string; body: string; delayMs?: number }
  | {
      status: number
      error: { message: string; type?: string; code?: string }
      headers?: Record<string, string>
      delayMs?: number
    }

export interface ChatMessage {
  role: string
  content?: unknown
  tool_calls?: Array<{ id: string; type: string; function?: { name: string; arguments: string } }>
  tool_call_id?: string
}

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>
  tool_choice?: unknown
  [key: string]: unknown
}

/** A recorded, well-formed request. A Responses API request is recorded with its `input` also as `messages`. */
export interface RecordedRequest {
  headers: Record<string, string | undefined>
  body: ChatRequest
  /** `/v1/chat/completions` or `/v1/responses`. */
  path: string
  /** When the request arrived (epoch ms). */
  receivedAt: number
  /** When the server wrote the answer's last byte (epoch ms); unset while it is still answering. */
  finishedAt?: number
}

export interface ModelServer {
  baseURL: string
  requests: RecordedRequest[]
  /** Every HTTP request that arrived, well formed or not, before any check. */
  hits: Array<{ method: string; path: string; authorization?: string }>
  close(): Promise<void>
}

/** A scripted answer (not an HTTP error, not a fault). */
export type Answer = Exclude<ScriptStep, { status: number } | { fault: string }>

/** One answer being written: the step, with its tool calls' ids and its usage filled in. */
export interface Reply {
  index: number
  model: string
  step: Answer
  toolCalls: Array<{ id: string; name: string; arguments: string }>
  usage: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number }
  /** Aborted when the client went away: a streamed answer stops. */
  gone: AbortSignal
}
