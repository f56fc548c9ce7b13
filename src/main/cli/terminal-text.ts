/**
 * Text from a task (tool output, model text, patches, file names, error messages) is written by code
 * nobody vetted; printed raw to a terminal, its escape sequences would act: OSC 52 writes the clipboard,
 * CSI moves the cursor or clears the screen to hide what ran, bracketed-paste markers forge input, OSC 8
 * makes links lie. Everything the CLI prints goes through `terminalText` (or `eventText`) or `jsonLine`.
 *
 * What is shown instead, so that nothing is hidden and nothing acts:
 * - C0 controls except tab and newline, and DEL: their Unicode control pictures (ESC `␛`, BEL `␇`,
 *   CR `␍`, BS `␈`, NUL `␀`, DEL `␡`), so `\x1b]52;c;…\x07` prints as `␛]52;c;…␇`;
 * - C1 controls (U+0080–U+009F: a UTF-8 terminal may take U+009B for CSI, U+009D for OSC), the
 *   bidirectional controls that reorder what a reader sees (U+061C, U+200E–U+200F, U+202A–U+202E,
 *   U+2066–U+2069) and the line and paragraph separators: `⟨U+009B⟩`.
 */

import type { TaskEvent } from '../../shared/events'
import { formatLogLine } from '../engine/agent-log'

// eslint-disable-next-line no-control-regex
const C0_AND_DEL = /[\u0000-\u0008\u000b-\u001f\u007f]/g
const INVISIBLE = /[\u0080-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** What JSON.stringify leaves unescaped that a terminal may act on. */
const LEFT_RAW_BY_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const hex = (ch: string): string => (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')

/** `text` made safe for a terminal: every control character but `\n` and `\t` shown, not sent. */
export function terminalText(text: string): string {
  return text
    .replace(C0_AND_DEL, (ch) =>
      ch === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + ch.charCodeAt(0)),
    )
    .replace(INVISIBLE, (ch) => `⟨U+${hex(ch)}⟩`)
}

/**
 * One JSON line for `--json`. JSON.stringify escapes C0 controls but leaves DEL, C1 controls and the
 * bidirectional controls raw; here they are `\u` escapes too, so the line parses to the same value and
 * holds no byte a terminal acts on.
 */
export function jsonLine(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null'
  return `${json.replace(LEFT_RAW_BY_JSON, (ch) => `\\u${hex(ch).toLowerCase()}`)}\n`
}

/** One task event as the CLI prints it: agent.log's line made terminal-safe, or a JSON line. */
export function eventText(event: TaskEvent, opts: { json: boolean }): string {
  return opts.json ? jsonLine(event) : terminalText(formatLogLine(event))
}
