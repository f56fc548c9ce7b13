import { describe, expect, it } from 'vitest'
import { factsFromJson, SseUsageReader, type ModelApi } from '../../../src/main/network/model-usage'

const chatChunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o-2024-08-06',
    choices: [{ index: 0, delta, finish_reason: null }],
    usage: null,
    ...extra,
  })}\n\n`
const usageChunk = `data: ${JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  model: 'gpt-4o-2024-08-06',
  choices: [],
  usage: { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 },
})}\n\n`
const chatStream =
  chatChunk({ role: 'assistant', content: '' }) +
  chatChunk({ content: 'héllo ✓' }) +
  usageChunk +
  'data: [DONE]\n\n'

const completed = (type: string) =>
  `event: ${type}\ndata: ${JSON.stringify({
    type,
    sequence_number: 9,
    response: { id: 'resp_1', model: 'gpt-5-mini', usage: { input_tokens: 700, output_tokens: 80 } },
  })}\n\n`
const responsesStream =
  `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { model: 'gpt-5-mini', usage: null } })}\n\n` +
  `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: '"usage": {' })}\n\n` +
  completed('response.completed')

/** Feeds `text` to a reader in pieces of `size` bytes (splitting UTF-8 sequences and CRLFs). */
function read(
  api: ModelApi,
  text: string,
  size: number,
  drop = false,
): { reader: SseUsageReader; out: string } {
  const reader = new SseUsageReader(api, drop)
  const bytes = Buffer.from(text)
  let out = ''
  for (let i = 0; i < bytes.length; i += size) {
    reader.push(bytes.subarray(i, i + size))
    out += reader.output()
  }
  reader.end()
  return { reader, out: out + reader.output() }
}

describe('usage of streamed answers', () => {
  it('reads the chat usage chunk however the bytes are split, with LF or CRLF', () => {
    for (const text of [chatStream, chatStream.replace(/\n/g, '\r\n'), chatStream.replace(/\n/g, '\r')]) {
      for (const size of [1, 2, 3, 7, 64, 100_000]) {
        const { reader } = read('chat', text, size)
        expect(reader.facts).toEqual({
          model: 'gpt-4o-2024-08-06',
          usage: { promptTokens: 1234, completionTokens: 56 },
        })
      }
    }
  })

  it('drops only the usage-only chunk when asked, passing every other event through whole', () => {
    for (const size of [1, 5, 100_000]) {
      const { reader, out } = read('chat', chatStream, size, true)
      expect(out).toBe(chatStream.replace(usageChunk, ''))
      expect(reader.facts.usage).toEqual({ promptTokens: 1234, completionTokens: 56 })
    }
    const untouched = chatChunk({ content: 'x' }, { usage: { prompt_tokens: 1, completion_tokens: 1 } })
    expect(read('chat', untouched, 3, true).out).toBe(untouched)
    expect(read('chat', ': keep-alive\n\n', 1, true).out).toBe(': keep-alive\n\n')
    expect(read('chat', 'data: [DONE]', 4, true).out).toBe('data: [DONE]\n')
  })

  it('keeps the last usage a chat stream reports (servers that send running totals)', () => {
    const running =
      chatChunk({ content: 'a' }, { usage: { prompt_tokens: 10, completion_tokens: 1 } }) +
      chatChunk({ content: 'b' }, { usage: { prompt_tokens: 10, completion_tokens: 2 } })
    expect(read('chat', running, 9).reader.facts.usage).toEqual({ promptTokens: 10, completionTokens: 2 })
    expect(read('chat', chatChunk({ content: 'no usage' }), 9).reader.facts.usage).toBeUndefined()
  })

  it('reads response.completed (and incomplete or failed) of the Responses API, not look-alike deltas', () => {
    for (const size of [1, 13, 100_000]) {
      expect(read('responses', responsesStream, size).reader.facts).toEqual({
        model: 'gpt-5-mini',
        usage: { promptTokens: 700, completionTokens: 80 },
      })
    }
    for (const type of ['response.incomplete', 'response.failed']) {
      expect(read('responses', completed(type), 5).reader.facts.usage).toEqual({
        promptTokens: 700,
        completionTokens: 80,
      })
    }
    const unnamed = completed('response.completed').replace(/^event: .*\n/, '')
    expect(read('responses', unnamed, 5).reader.facts.usage).toEqual({
      promptTokens: 700,
      completionTokens: 80,
    })
    const noCompletion = responsesStream.replace(completed('response.completed'), '')
    expect(read('responses', noCompletion, 5).reader.facts.usage).toBeUndefined()
  })

  it('reads the usage of non-streamed answers', () => {
    expect(
      factsFromJson('chat', {
        model: 'gpt-4.1',
        usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      }),
    ).toEqual({ model: 'gpt-4.1', usage: { promptTokens: 3, completionTokens: 4 } })
    expect(factsFromJson('responses', { model: 'o3', usage: { input_tokens: 5, output_tokens: 6 } })).toEqual(
      {
        model: 'o3',
        usage: { promptTokens: 5, completionTokens: 6 },
      },
    )
    expect(factsFromJson('chat', { usage: { prompt_tokens: -1, completion_tokens: 'x' } })).toEqual({
      model: undefined,
      usage: undefined,
    })
    expect(factsFromJson('chat', 'not json')).toEqual({})
  })
})
