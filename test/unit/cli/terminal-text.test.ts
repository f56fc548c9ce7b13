import { describe, expect, it } from 'vitest'
import { eventText, jsonLine, terminalText } from '../../../src/main/cli/terminal-text'
import { formatLogLine } from '../../../src/main/engine/agent-log'
import type { TaskEvent, TaskEventBody } from '../../../src/shared/events'

/** What a hostile repository's test suite might print: each would act on a terminal printed raw. */
const HOSTILE = [
  '\x1b]52;c;ZWNobyBwd25lZA==\x07', // OSC 52: writes the clipboard
  '\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\', // OSC 8: a hyperlink that lies
  '\x1b[2J\x1b[H', // clear the screen, cursor home
  '\x1b[1A\x1b[2K', // cursor up, erase the line: hides what ran
  '\x1b[200~rm -rf ~\x1b[201~', // bracketed paste markers
  '\u009b2J', // C1 CSI
  '\u009d52;c;cHduZWQ=\u009c', // C1 OSC … ST
  '\u0085', // C1 NEL
  'safe\rforged', // carriage return overwrites the line
  'back\bspace\u007f',
  '\u202eevil\u202c', // right-to-left override
].join(' | ')

/** Every code point a terminal may act on: C0 but tab and newline, DEL, C1, bidi controls. */
const ACTIVE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

const event = (body: TaskEventBody): TaskEvent => ({
  ...body,
  taskId: 'test-1',
  seq: 1,
  at: '2024-01-01T12:00:00.000Z',
})

const EVENTS: TaskEvent[] = [
  event({
    type: 'tool_result',
    step: 2,
    callId: 'c',
    name: 'shell',
    ok: true,
    output: HOSTILE,
    durationMs: 5,
  }),
  event({ type: 'tool_call', step: 2, callId: 'c', name: 'shell', args: { command: `printf '${HOSTILE}'` } }),
  event({ type: 'model_text', step: 3, text: HOSTILE }),
  event({ type: 'status', status: 'failed', message: HOSTILE }),
  event({ type: 'progress', phase: 'import', message: HOSTILE }),
  event({ type: 'log', stream: 'setup', text: HOSTILE }),
  event({ type: 'error', error: { kind: 'unsafe_archive', message: HOSTILE, hint: HOSTILE } }),
]

/** The bytes a terminal would receive. */
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8')

function expectInert(text: string): void {
  expect(text).not.toMatch(ACTIVE)
  const raw = bytes(text)
  expect(raw.includes(0x1b), 'no ESC byte').toBe(false)
  expect(raw.includes(0x07), 'no BEL byte').toBe(false)
  expect(raw.includes(0x0d), 'no CR byte').toBe(false)
  // C1 controls in UTF-8 are 0xC2 0x80–0x9F.
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] === 0xc2) expect(raw[i + 1]! < 0x80 || raw[i + 1]! > 0x9f, `C1 at byte ${i}`).toBe(true)
  }
}

describe('the CLI prints task text without the control characters in it', () => {
  it('shows escape sequences as visible text and keeps newlines and tabs', () => {
    const shown = terminalText(`a\tb\n${HOSTILE}\n`)
    expectInert(shown)
    expect(shown).toContain('a\tb\n')
    expect(shown).toContain('␛]52;c;ZWNobyBwd25lZA==␇')
    expect(shown).toContain('␛[2J␛[H')
    expect(shown).toContain('␛[200~rm -rf ~␛[201~')
    expect(shown).toContain('⟨U+009B⟩2J')
    expect(shown).toContain('⟨U+009D⟩52;c;cHduZWQ=⟨U+009C⟩')
    expect(shown).toContain('safe␍forged')
    expect(shown).toContain('back␈space␡')
    expect(shown).toContain('⟨U+202E⟩evil⟨U+202C⟩')
    expect(terminalText('plain text, ünïcödé, emoji 🙂\n')).toBe('plain text, ünïcödé, emoji 🙂\n')
  })

  it.each(EVENTS.map((e) => [e.type, e] as const))('a %s event in text mode', (_type, e) => {
    // agent.log's line (a file, shown by the UI as text) keeps the bytes; the terminal gets none of them.
    if (e.type !== 'log') expect(formatLogLine(e)).toMatch(ACTIVE)
    const line = eventText(e, { json: false })
    expectInert(line)
    if (e.type === 'tool_call')
      expect(line).toContain('\\u001b]52;c;') // JSON-encoded arguments
    else if (e.type !== 'log') expect(line).toContain('␛]52;c;')
  })

  it.each(EVENTS.map((e) => [e.type, e] as const))('a %s event as a JSON line', (_type, e) => {
    const line = eventText(e, { json: true })
    expect(line.endsWith('\n')).toBe(true)
    expect(line.slice(0, -1)).not.toContain('\n')
    expectInert(line)
    expect(JSON.parse(line)).toEqual(e) // the same value, escaped
  })

  it('escapes what JSON.stringify leaves raw (DEL, C1, bidi controls, line separators)', () => {
    const value = { s: '\u007f\u0080\u009b\u009f\u202e\u2028\u2029' }
    expect(JSON.stringify(value)).toMatch(/[\u007f-\u009f]/) // the hole this closes
    const line = jsonLine(value)
    expect(line).toBe('{"s":"\\u007f\\u0080\\u009b\\u009f\\u202e\\u2028\\u2029"}\n')
    expect(JSON.parse(line)).toEqual(value)
  })

  it('a patch of a file holding escape sequences prints inert', () => {
    const patch = `diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+${HOSTILE}\n`
    const shown = terminalText(patch)
    expectInert(shown)
    expect(shown.split('\n')).toHaveLength(patch.split('\n').length)
  })
})
