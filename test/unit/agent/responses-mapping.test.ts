import { describe, expect, it } from 'vitest'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import type { ResponseStreamEvent } from 'openai/resources/responses/responses'
import { withSummary } from '../../../src/main/agent/compaction'
import {
  reasoningOf,
  responsesBody,
  toResponsesInput,
  withoutReasoning,
  type AssistantMessage,
  type ReasoningItem,
} from '../../../src/main/agent/responses-call'
import { ResponseAssembler } from '../../../src/main/agent/responses-stream'
import type { StreamSink } from '../../../src/main/agent/stream-guard'

const thought = (id: string, enc: string): ReasoningItem => ({
  id,
  type: 'reasoning',
  summary: [],
  encrypted_content: enc,
})

const call = (id: string, name: string, args: string) => ({
  id,
  type: 'function' as const,
  function: { name, arguments: args },
})

function history(): ChatCompletionMessageParam[] {
  const first: AssistantMessage = {
    role: 'assistant',
    content: 'Looking first.',
    tool_calls: [call('call_1', 'read_file', '{"path":"a"}'), call('call_2', 'shell', '{"command":"ls"}')],
    reasoning: [thought('rs_1', 'enc-1'), thought('rs_2', 'enc-2')],
  }
  const second: AssistantMessage = {
    role: 'assistant',
    content: null,
    tool_calls: [call('call_3', 'shell', '{"command":"make"}')],
    reasoning: [thought('rs_3', 'enc-3')],
  }
  return [
    { role: 'system', content: 'You are a test agent.' },
    { role: 'user', content: 'Do the thing' },
    first,
    { role: 'tool', tool_call_id: 'call_1', content: 'contents of a' },
    { role: 'tool', tool_call_id: 'call_2', content: 'a b' },
    { role: 'user', content: '[codex-sys] a note' },
    second,
    { role: 'tool', tool_call_id: 'call_3', content: 'built' },
  ]
}

describe('the Responses adapter: history to input', () => {
  it('maps system, user, assistant text, function calls and outputs; reasoning in front of its calls', () => {
    const { instructions, input } = toResponsesInput(history())
    expect(instructions).toBe('You are a test agent.')
    expect(input).toEqual([
      { role: 'user', content: 'Do the thing' },
      thought('rs_1', 'enc-1'),
      thought('rs_2', 'enc-2'),
      { role: 'assistant', content: 'Looking first.' },
      { type: 'function_call', call_id: 'call_1', name: 'read_file', arguments: '{"path":"a"}' },
      { type: 'function_call', call_id: 'call_2', name: 'shell', arguments: '{"command":"ls"}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'contents of a' },
      { type: 'function_call_output', call_id: 'call_2', output: 'a b' },
      { role: 'user', content: '[codex-sys] a note' },
      thought('rs_3', 'enc-3'),
      { type: 'function_call', call_id: 'call_3', name: 'shell', arguments: '{"command":"make"}' },
      { type: 'function_call_output', call_id: 'call_3', output: 'built' },
    ])
  })

  it('builds a stateless body: store false, encrypted reasoning asked for, effort only when chosen', () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'shell', description: 'Runs it', parameters: { type: 'object' } },
      },
    ]
    const body = responsesBody({ model: 'gpt-4.1', messages: history(), tools, reasoningEffort: 'low' })
    expect(body).toMatchObject({
      model: 'gpt-4.1',
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      reasoning: { effort: 'low' },
      instructions: 'You are a test agent.',
      tool_choice: 'auto',
      tools: [
        {
          type: 'function',
          name: 'shell',
          description: 'Runs it',
          parameters: { type: 'object' },
          strict: false,
        },
      ],
    })
    // A model that does not reason gets neither (OpenAI refuses both for it); a reasoning model gets its
    // encrypted reasoning back but no effort unless one was chosen.
    const plain = responsesBody({ model: 'gpt-4.1-mini', messages: history() })
    expect(plain.include).toBeUndefined()
    expect(plain.reasoning).toBeUndefined()
    expect(plain.tools).toBeUndefined()
    const reasoner = responsesBody({ model: 'gpt-5-mini', messages: history() })
    expect(reasoner.include).toEqual(['reasoning.encrypted_content'])
    expect(reasoner.reasoning).toBeUndefined()
  })

  it('strips the reasoning items for Chat Completions, leaving every other field', () => {
    const messages = history().map(withoutReasoning)
    expect(JSON.stringify(messages)).not.toContain('reasoning')
    expect(messages[2]).toEqual({
      role: 'assistant',
      content: 'Looking first.',
      tool_calls: [call('call_1', 'read_file', '{"path":"a"}'), call('call_2', 'shell', '{"command":"ls"}')],
    })
  })

  it('keeps reasoning through compaction when its message stays verbatim, drops it when summarized', () => {
    const compacted = withSummary(history(), 'Read a, listed files.', 6)
    expect(compacted.flatMap((m) => reasoningOf(m) ?? []).map((r) => r.id)).toEqual(['rs_3'])
    const { input } = toResponsesInput(compacted)
    expect(input.filter((i) => 'type' in i && i.type === 'reasoning')).toEqual([thought('rs_3', 'enc-3')])
  })
})

describe('the Responses adapter: stream to reply', () => {
  const sinkLog = (): { sink: StreamSink; log: string[] } => {
    const log: string[] = []
    return {
      log,
      sink: {
        text: (t) => log.push(`text ${t}`),
        toolCall: (i, p) => log.push(`call ${i} ${p.name ?? ''}|${p.argsDelta}`),
        reset: (r) => log.push(`reset ${r}`),
      },
    }
  }

  it('tells text and calls (name first) as they come, and returns the chat completion with reasoning and usage', () => {
    const { sink, log } = sinkLog()
    const assembler = new ResponseAssembler(sink)
    const reasoning = thought('rs_9', 'enc-9')
    const fc = { type: 'function_call', call_id: 'call_9', name: 'shell', arguments: '', id: 'fc_9' } as const
    const events = [
      {
        type: 'response.output_item.added',
        output_index: 0,
        item: { ...reasoning, encrypted_content: null },
      },
      { type: 'response.output_item.done', output_index: 0, item: reasoning },
      { type: 'response.output_text.delta', output_index: 1, delta: 'Running ' },
      { type: 'response.output_text.delta', output_index: 1, delta: 'it.' },
      {
        type: 'response.output_item.done',
        output_index: 1,
        item: {
          type: 'message',
          id: 'msg_9',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Running it.', annotations: [] }],
        },
      },
      { type: 'response.output_item.added', output_index: 2, item: fc },
      { type: 'response.function_call_arguments.delta', output_index: 2, delta: '{"command":' },
      { type: 'response.function_call_arguments.delta', output_index: 2, delta: '"ls"}' },
      { type: 'response.output_item.done', output_index: 2, item: { ...fc, arguments: '{"command":"ls"}' } },
      {
        type: 'response.completed',
        response: {
          id: 'resp_9',
          created_at: 1,
          model: 'm',
          status: 'completed',
          output: [],
          usage: {
            input_tokens: 1200,
            input_tokens_details: { cached_tokens: 1000 },
            output_tokens: 30,
            output_tokens_details: { reasoning_tokens: 12 },
            total_tokens: 1230,
          },
        },
      },
    ] as unknown as ResponseStreamEvent[]
    for (const e of events) assembler.consume(e)
    expect(assembler.finished).toBe(true)
    expect(log).toEqual([
      'text Running ',
      'text it.',
      'call 0 shell|',
      'call 0 |{"command":',
      'call 0 |"ls"}',
    ])
    const completion = assembler.result()
    const message = completion.choices[0]!.message
    expect(message).toMatchObject({
      content: 'Running it.',
      tool_calls: [
        { id: 'call_9', type: 'function', function: { name: 'shell', arguments: '{"command":"ls"}' } },
      ],
    })
    expect(reasoningOf(message)).toEqual([reasoning])
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls')
    expect(completion.usage).toMatchObject({
      prompt_tokens: 1200,
      completion_tokens: 30,
      prompt_tokens_details: { cached_tokens: 1000 },
    })
  })

  it('a failed response: a refusal throws as an API error with its code, a server error as a break-off', () => {
    const failed = (code: string) =>
      ({
        type: 'response.failed',
        response: { error: { code, message: `failed: ${code}` } },
      }) as unknown as ResponseStreamEvent
    const assembler = new ResponseAssembler(sinkLog().sink)
    const refusal = (() => {
      try {
        assembler.consume(failed('context_length_exceeded'))
      } catch (err) {
        return err
      }
    })()
    expect(assembler.passThrough(refusal)).toBe(true)
    expect(refusal).toMatchObject({ code: 'context_length_exceeded' })
    const broken = (() => {
      try {
        assembler.consume(failed('server_error'))
      } catch (err) {
        return err
      }
    })()
    expect(assembler.passThrough(broken)).toBe(false)
  })
})
