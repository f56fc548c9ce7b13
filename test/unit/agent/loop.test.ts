import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AgentEvent } from '../../../src/shared/events'
import { API_KEY, harness, startMessages } from './harness'

const kinds = (events: AgentEvent[]): string[] =>
  events.map((e) => (e.type === 'tool_call' || e.type === 'tool_result' ? `${e.type}:${e.name}` : e.type))

describe('runAgent with a scripted model', () => {
  it('reads, edits, writes, runs a command and finishes; events arrive in order', async () => {
    const h = await harness([
      { text: 'Let me look at the file.', toolCalls: [{ name: 'read_file', args: { path: 'app.py' } }] },
      {
        toolCalls: [
          { name: 'edit_file', args: { path: 'app.py', old_string: 'return 1', new_string: 'return 2' } },
          {
            name: 'write_file',
            args: { path: 'tests/test_app.py', content: 'from app import f\nassert f() == 2\n' },
          },
        ],
      },
      {
        toolCalls: [
          { name: 'shell', args: { command: 'PYTHONPATH=. python3 tests/test_app.py && echo passed' } },
        ],
      },
      {
        toolCalls: [{ name: 'finish', args: { summary: 'f now returns 2; test added.' } }],
        usage: { prompt_tokens: 1000, completion_tokens: 50 },
      },
    ])
    await writeFile(join(h.dir, 'app.py'), 'def f():\n    return 1\n')
    const result = await h.run()

    expect(result.summary).toBe('f now returns 2; test added.')
    expect(await readFile(join(h.dir, 'app.py'), 'utf8')).toBe('def f():\n    return 2\n')
    expect(await readFile(join(h.dir, 'tests/test_app.py'), 'utf8')).toContain('assert f() == 2')
    expect(kinds(h.events)).toEqual([
      'usage',
      'model_text',
      'tool_call:read_file',
      'tool_result:read_file',
      'usage',
      'tool_call:edit_file',
      'tool_result:edit_file',
      'tool_call:write_file',
      'tool_result:write_file',
      'usage',
      'tool_call:shell',
      'tool_result:shell',
      'usage',
      'tool_call:finish',
      'tool_result:finish',
    ])
    const results = h.events.filter((e) => e.type === 'tool_result')
    expect(results.every((e) => e.ok && e.durationMs >= 0)).toBe(true)
    expect(results[0]?.output).toBe('     1\tdef f():\n     2\t    return 1')
    expect(results[3]?.output).toBe('Exit code: 0\nstdout:\npassed\n')
    expect(h.events[0]).toEqual({
      type: 'usage',
      step: 1,
      promptTokens: 100,
      completionTokens: 20,
      costUsd: 0,
      costKnown: false,
    })
    // 'test-model' has no price: its cost is unknown, never guessed (pricing.test.ts prices known models).
    expect(result.usage).toMatchObject({ steps: 4, promptTokens: 1300, completionTokens: 110 })
    expect(result.usage).toMatchObject({ costUsd: 0, costKnown: false })

    // What the model saw: the tools, the key only in the Authorization header, each tool result in order.
    const [first, second] = h.server.requests
    expect(first?.body.tools?.map((t) => t.function.name)).toEqual([
      'shell',
      'read_file',
      'write_file',
      'edit_file',
      'apply_patch',
      'search',
      'list_files',
      'finish',
    ])
    expect(first?.body.tool_choice).toBe('auto')
    expect(first?.headers.authorization).toBe(`Bearer ${API_KEY}`)
    expect(second?.body.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: 'Let me look at the file.',
        tool_calls: [expect.objectContaining({ id: 'call_0_0' })],
      },
      { role: 'tool', tool_call_id: 'call_0_0', content: '     1\tdef f():\n     2\t    return 1' },
    ])
    expect(result.messages).toHaveLength(2 + 2 + 3 + 2 + 2)
  })

  it('a reply without tool calls ends the turn with its text', async () => {
    const h = await harness([{ text: '  Nothing to change: the code already does this.  ' }])
    const result = await h.run()
    expect(result.summary).toBe('Nothing to change: the code already does this.')
    expect(kinds(h.events)).toEqual(['usage', 'model_text'])
    expect(result.messages.at(-1)).toEqual({
      role: 'assistant',
      content: '  Nothing to change: the code already does this.  ',
    })
  })

  it('failed tool calls become text the model reads: not unique, missing, unknown tool, broken JSON', async () => {
    const h = await harness([
      {
        toolCalls: [
          { name: 'edit_file', args: { path: 'a.txt', old_string: 'x', new_string: 'y' } },
          { name: 'edit_file', args: { path: 'a.txt', old_string: 'nope', new_string: 'y' } },
          { name: 'delete_everything', args: {} },
          { name: 'shell', args: '{"command": "ls"' },
          { name: 'shell', args: { command: 'exit 7' } },
        ],
      },
      { text: 'Gave up.' },
    ])
    await writeFile(join(h.dir, 'a.txt'), 'x x x')
    const result = await h.run()
    expect(result.summary).toBe('Gave up.')
    const outputs = h.events.flatMap((e) => (e.type === 'tool_result' ? [[e.ok, e.output] as const] : []))
    expect(outputs.map(([ok]) => ok)).toEqual([false, false, false, false, false])
    expect(outputs[0]?.[1]).toMatch(/old_string occurs 3 times/)
    expect(outputs[1]?.[1]).toMatch(/old_string was not found/)
    expect(outputs[2]?.[1]).toMatch(/no tool named "delete_everything"\. Available tools: shell, read_file/)
    expect(outputs[3]?.[1]).toMatch(/not valid JSON/)
    expect(outputs[4]?.[1]).toBe('Exit code: 7\n(no output)')
    expect(h.server.requests[1]?.body.messages.filter((m) => m.role === 'tool')).toHaveLength(5)
    expect(await readFile(join(h.dir, 'a.txt'), 'utf8')).toBe('x x x')
  })

  it('answers tool calls after finish without running them', async () => {
    const h = await harness([
      {
        toolCalls: [
          { name: 'finish', args: { summary: 'Done.' } },
          { name: 'write_file', args: { path: 'late.txt', content: 'x' } },
        ],
      },
    ])
    const result = await h.run()
    expect(result.summary).toBe('Done.')
    expect(result.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'call_0_1',
      content: 'Not run: the turn ended with finish.',
    })
    await expect(readFile(join(h.dir, 'late.txt'))).rejects.toThrow()
  })

  it('a follow-up turn continues the same conversation and usage', async () => {
    const h = await harness([
      { toolCalls: [{ name: 'write_file', args: { path: 'a.txt', content: 'a' } }] },
      { toolCalls: [{ name: 'finish', args: { summary: 'Wrote a.' } }] },
      { toolCalls: [{ name: 'edit_file', args: { path: 'a.txt', old_string: 'a', new_string: 'b' } }] },
      { text: 'Changed a to b.' },
    ])
    const first = await h.run()
    const messages = [...first.messages, { role: 'user' as const, content: 'Now make it b.' }]
    const second = await h.run({ messages, usageSoFar: first.usage })
    expect(second.summary).toBe('Changed a to b.')
    expect(second.usage.steps).toBe(4)
    expect(await readFile(join(h.dir, 'a.txt'), 'utf8')).toBe('b')
    const sent = h.server.requests[2]?.body.messages ?? []
    expect(sent.slice(0, 2)).toEqual(startMessages())
    expect(sent).toHaveLength(first.messages.length + 1)
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'Now make it b.' })
    expect(h.events.filter((e) => e.type === 'usage').map((e) => e.step)).toEqual([1, 2, 3, 4])
  })
})
