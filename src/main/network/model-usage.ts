import { StringDecoder } from 'node:string_decoder'

/** Which model API a request went to: the usage fields and stream events differ. */
export type ModelApi = 'chat' | 'responses'

export interface TokenCount {
  promptTokens: number
  completionTokens: number
  /** The part of `promptTokens` served from the prompt cache, when the answer says. */
  cachedPromptTokens?: number
}

/** What a response said about itself: its usage and the model that served it, when it said. */
export interface ResponseFacts {
  usage?: TokenCount
  model?: string
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined

/** The JSON value of `text`, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Reads `usage` (chat: prompt/completion tokens and `prompt_tokens_details.cached_tokens`; responses: input/output
 * tokens and `input_tokens_details.cached_tokens`); undefined when absent.
 */
export function readUsage(api: ModelApi, usage: unknown): TokenCount | undefined {
  if (!isObject(usage)) return undefined
  const prompt = count(api === 'chat' ? usage.prompt_tokens : usage.input_tokens)
  const completion = count(api === 'chat' ? usage.completion_tokens : usage.output_tokens)
  if (prompt === undefined && completion === undefined) return undefined
  const details = api === 'chat' ? usage.prompt_tokens_details : usage.input_tokens_details
  const cached = isObject(details) ? count(details.cached_tokens) : undefined
  const tokens: TokenCount = { promptTokens: prompt ?? 0, completionTokens: completion ?? 0 }
  return cached ? { ...tokens, cachedPromptTokens: cached } : tokens
}

/** The usage and model of a non-streamed answer (a chat completion or a response object). */
export function factsFromJson(api: ModelApi, body: unknown): ResponseFacts {
  if (!isObject(body)) return {}
  return {
    usage: readUsage(api, body.usage),
    model: typeof body.model === 'string' ? body.model : undefined,
  }
}

export interface PreparedRequest {
  body: Buffer
  model?: string
  /** The proxy added `stream_options.include_usage`: the usage chunk is the proxy's, not the client's. */
  injectedUsage: boolean
}

/** Reads the request's model; for a streamed chat completion, makes sure the answer reports its usage. */
export function prepareRequest(api: ModelApi, body: Buffer): PreparedRequest {
  const request = parseJson(body.toString('utf8'))
  if (!isObject(request)) return { body, injectedUsage: false }
  const model = typeof request.model === 'string' ? request.model : undefined
  const options = isObject(request.stream_options) ? request.stream_options : null
  if (api !== 'chat' || request.stream !== true || options?.include_usage === true)
    return { body, model, injectedUsage: false }
  request.stream_options = { ...options, include_usage: true }
  return { body: Buffer.from(JSON.stringify(request)), model, injectedUsage: true }
}

/** The Responses API events that end a response and carry its final usage. */
const FINAL_RESPONSE_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed'])
/** Events larger than this are passed on but not parsed (a final event this large is billed by estimate). */
const MAX_EVENT_CHARS = 16 * 1024 * 1024

/**
 * Reads a server-sent event stream as it passes, byte chunk by byte chunk, keeping the last usage seen:
 * chat completions send it in a chunk with `usage` (the last one, when `stream_options.include_usage`
 * asks), the Responses API in `response.completed` (`response.usage`).
 *
 * With `dropUsageChunk` the reader also rewrites the stream: `output()` gives the events to pass on,
 * whole, without the usage-only chunk (`choices: []`) that the proxy asked for on the client's behalf.
 * Without it the caller passes the bytes on untouched and `output()` is unused.
 */
export class SseUsageReader {
  readonly facts: ResponseFacts = {}
  private readonly decoder = new StringDecoder('utf8')
  private pending = ''
  private afterCr = false
  private event = ''
  private data: string[] = []
  private dataChars = 0
  private raw: string[] = []
  private out: string[] = []

  constructor(
    private readonly api: ModelApi,
    private readonly dropUsageChunk = false,
  ) {}

  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk))
  }

  end(): void {
    this.feed(this.decoder.end())
    if (this.pending) this.line(this.pending)
    this.pending = ''
    this.dispatch()
    if (this.raw.length) this.out.push(this.raw.join(''))
    this.raw = []
  }

  /** The text to pass on so far (only with `dropUsageChunk`); each call returns what is new. */
  output(): string {
    const text = this.out.join('')
    this.out = []
    return text
  }

  private feed(text: string): void {
    let start = 0
    if (this.afterCr && text.length > 0) {
      // A \r\n split across chunks: its line already ended at the \r.
      this.afterCr = false
      if (text.charCodeAt(0) === 10) start = 1
    }
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      const line = this.pending + text.slice(start, i)
      this.pending = ''
      if (c === 13) {
        if (i + 1 === text.length) this.afterCr = true
        else if (text.charCodeAt(i + 1) === 10) i++
      }
      start = i + 1
      this.line(line)
    }
    if (start < text.length) {
      this.pending += text.slice(start)
      if (this.pending.length > MAX_EVENT_CHARS) this.overflow()
    }
  }

  /** A line longer than every event worth reading: pass it on and forget the event it belongs to. */
  private overflow(): void {
    if (this.dropUsageChunk) this.out.push(...this.raw, this.pending)
    this.raw = []
    this.pending = ''
    this.data = []
    this.dataChars = MAX_EVENT_CHARS + 1
  }

  private line(line: string): void {
    if (this.dropUsageChunk) this.raw.push(`${line}\n`)
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.event = value
    else if (field === 'data' && this.dataChars <= MAX_EVENT_CHARS) {
      this.dataChars += value.length + 1
      if (this.dataChars <= MAX_EVENT_CHARS) this.data.push(value)
      else this.data = []
    }
  }

  private dispatch(): void {
    const data = this.data.join('\n')
    const event = this.event
    const raw = this.raw.join('')
    this.data = []
    this.dataChars = 0
    this.event = ''
    this.raw = []
    const drop = data ? this.read(event, data) : false
    if (this.dropUsageChunk && !drop) this.out.push(raw)
  }

  /** Notes what an event says; true when it is the usage-only chat chunk to drop. */
  private read(event: string, data: string): boolean {
    if (this.api === 'chat') {
      const hasUsage = /"usage"\s*:\s*\{/.test(data)
      if (!hasUsage && this.facts.model !== undefined) return false
      const chunk = parseJson(data)
      if (!isObject(chunk)) return false
      if (typeof chunk.model === 'string') this.facts.model = chunk.model
      const usage = readUsage('chat', chunk.usage)
      if (usage) this.facts.usage = usage
      return this.dropUsageChunk && !!usage && Array.isArray(chunk.choices) && chunk.choices.length === 0
    }
    const named = FINAL_RESPONSE_EVENTS.has(event)
    if (!named && (event || !/"type"\s*:\s*"response\.(completed|incomplete|failed)"/.test(data)))
      return false
    const payload = parseJson(data)
    if (!isObject(payload) || !isObject(payload.response)) return false
    if (!named && !FINAL_RESPONSE_EVENTS.has(String(payload.type))) return false
    const facts = factsFromJson('responses', payload.response)
    if (facts.model) this.facts.model = facts.model
    if (facts.usage) this.facts.usage = facts.usage
    return false
  }
}
