import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CodexEventMapper, shownCommand } from '../../../src/main/agent/codex/events'
import type { TaskEventBody } from '../../../src/shared/events'

/** Real `codex exec --json` output of codex-cli 0.171.0 (captured against the scripted Responses server). */
const fixture = (name: string): string[] =>
  readFileSync(join(__dirname, 'fixtures', name), 'utf8').split('\n')

function mapAll(lines: string[]): { events: TaskEventBody[]; mapper: CodexEventMapper } {
  let clock = 1000
  const mapper = new CodexEventMapper(
    () => 1,
    () => (clock += 50),
  )
  return { events: lines.flatMap((line) => mapper.line(line)), mapper }
}

describe('Codex JSONL → timeline events', () => {
  it('maps a real turn: a command, an apply_patch edit and the final message', () => {
    const { events, mapper } = mapAll(fixture('codex-exec-0.171.0.jsonl'))
    const agent = events.filter((e) => e.type !== 'log')
    expect(agent).toEqual([
      {
        type: 'tool_call',
        step: 1,
        callId: 'item_1',
        name: 'shell',
        args: { command: 'echo hi-from-shell; printf "a\\nb\\n" > notes.txt' },
      },
      {
        type: 'tool_result',
        step: 1,
        callId: 'item_1',
        name: 'shell',
        ok: true,
        output: 'hi-from-shell\n',
        durationMs: 50,
      },
      {
        type: 'tool_call',
        step: 1,
        callId: 'item_2',
        name: 'apply_patch',
        args: {
          changes: [
            { path: 'hello.txt', kind: 'add' },
            { path: 'notes.txt', kind: 'update' },
          ],
        },
      },
      {
        type: 'tool_result',
        step: 1,
        callId: 'item_2',
        name: 'apply_patch',
        ok: true,
        output: 'add hello.txt\nupdate notes.txt',
        durationMs: 50,
      },
      { type: 'model_text', step: 1, text: 'Done: added hello.txt' },
    ])
    const logs = events.filter((e) => e.type === 'log').map((e) => (e.type === 'log' ? e.text : ''))
    expect(logs[0]).toBe('Codex thread 01a231aa-4939-7ce3-a4a7-5ca7decbcd3a\n')
    expect(logs[1]).toMatch(/^Codex: Model metadata for `test-model` not found/)
    expect(mapper.state).toMatchObject({
      threadId: '01a231aa-4939-7ce3-a4a7-5ca7decbcd3a',
      lastMessage: 'Done: added hello.txt',
      completed: true,
      usage: { inputTokens: 36, outputTokens: 12, cachedInputTokens: 0 },
    })
    expect(mapper.state.failure).toBeUndefined()
  })

  it('reports turn.failed as the failure, and the error event as a log line', () => {
    const { events, mapper } = mapAll(fixture('codex-exec-failed-0.171.0.jsonl'))
    expect(mapper.state.failure).toBe('Quota exceeded. Check your plan and billing details.')
    expect(mapper.state.completed).toBe(false)
    expect(events.map((e) => (e.type === 'log' ? e.text : e.type))).toEqual([
      'Codex thread 01a231aa-1889-7a12-ba8d-a16002cf74b6\n',
      'Codex: Quota exceeded. Check your plan and billing details.\n',
      'Codex: the turn failed: Quota exceeded. Check your plan and billing details.\n',
    ])
  })

  it('a failed command is a failed result with its exit code', () => {
    const { events } = mapAll([
      '{"type":"item.completed","item":{"id":"c","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}}',
    ])
    expect(events).toEqual([
      { type: 'tool_call', step: 1, callId: 'c', name: 'shell', args: { command: 'false' } },
      {
        type: 'tool_result',
        step: 1,
        callId: 'c',
        name: 'shell',
        ok: false,
        output: '\n[exit code 1]',
        durationMs: 0,
      },
    ])
  })

  it('shows reasoning and todo lists, and unknown items generically, never dropping them', () => {
    const { events } = mapAll([
      '{"type":"item.completed","item":{"id":"r","type":"reasoning","text":"Thinking about it"}}',
      '{"type":"item.started","item":{"id":"t","type":"todo_list","items":[{"text":"read","completed":false}]}}',
      '{"type":"item.updated","item":{"id":"t","type":"todo_list","items":[{"text":"read","completed":true}]}}',
      '{"type":"item.completed","item":{"id":"t","type":"todo_list","items":[{"text":"read","completed":true}]}}',
      '{"type":"item.started","item":{"id":"w","type":"web_search","query":"vitest"}}',
      '{"type":"item.completed","item":{"id":"w","type":"web_search","query":"vitest"}}',
      '{"type":"something.new","x":1}',
      'not json',
    ])
    expect(events).toEqual([
      { type: 'model_text', step: 1, text: '(reasoning) Thinking about it' },
      {
        type: 'tool_call',
        step: 1,
        callId: 't',
        name: 'todo_list',
        args: { items: [{ text: 'read', completed: false }] },
      },
      { type: 'log', stream: 'system', text: 'Plan:\n[x] read\n' },
      {
        type: 'tool_result',
        step: 1,
        callId: 't',
        name: 'todo_list',
        ok: true,
        output: '[x] read',
        durationMs: 50,
      },
      { type: 'tool_call', step: 1, callId: 'w', name: 'web_search', args: { query: 'vitest' } },
      {
        type: 'tool_result',
        step: 1,
        callId: 'w',
        name: 'web_search',
        ok: true,
        output: '{"query":"vitest"}',
        durationMs: 50,
      },
      { type: 'log', stream: 'system', text: 'Codex (something.new): {"type":"something.new","x":1}\n' },
      { type: 'log', stream: 'system', text: 'Codex: not json\n' },
    ])
  })

  it('keeps only an id-shaped thread id: a hostile one never reaches the artifact or resume argv', () => {
    for (const id of [
      '../../etc/passwd',
      '--config=model_providers.x.base_url=http://evil',
      'a\nb',
      'x'.repeat(65),
    ]) {
      const { mapper, events } = mapAll([JSON.stringify({ type: 'thread.started', thread_id: id })])
      expect(mapper.state.threadId).toBeUndefined()
      expect(events).toEqual([
        expect.objectContaining({ type: 'log', text: expect.stringMatching(/without a usable id/) }),
      ])
    }
  })

  it('unwraps the shell Codex wraps a command in', () => {
    expect(shownCommand('/bin/bash -lc "echo \\"a\\" \\$HOME"')).toBe('echo "a" $HOME')
    expect(shownCommand("/bin/bash -lc 'echo b >> a.txt'")).toBe('echo b >> a.txt')
    expect(shownCommand("/bin/bash -lc 'echo '\\''q'\\'''")).toBe("echo 'q'")
    expect(shownCommand('ls -la')).toBe('ls -la')
  })
})
