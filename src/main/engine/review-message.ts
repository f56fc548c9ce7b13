import type { HunkLine, ReviewComment } from '../../shared/review'
import { visibleName } from '../../shared/visible-name'

/**
 * "Request changes": the user message the agent's next turn gets, built from the review. A stable,
 * readable Markdown layout, documented in DESIGN.md ("Request changes: the message the agent gets"):
 *
 *   # Review of your changes
 *   <the note>
 *   ## Comments                                   (each open comment: file, side, lines, code, text)
 *   ## Changes left out of what will be published (each excluded hunk or lines: reason, patch)
 *   ## Changes discarded from the workspace       (each discard since the last turn: reason, patch)
 *
 * Every section is left out when it has nothing; code and patches sit in fences longer than every run
 * of backticks inside them, so nothing in the code can end a fence early.
 */

/** An excluded or discarded change, as the message shows it. */
export interface ReviewedChange {
  path: string
  /** The hunk's header as git printed it; absent: the whole file. */
  header?: string
  /** The hunk's lines concerned; absent: the whole hunk; empty: some of its lines (the patch shows which). */
  lines?: readonly HunkLine[]
  reason?: string
  /** The change in git's patch format. */
  patch: string
}

export interface ReviewMessageInput {
  note?: string
  /** The comments to send (the open ones), in the order they were made. */
  comments: readonly ReviewComment[]
  /** Hunks or lines left out of what gets published. */
  excluded: readonly ReviewedChange[]
  /** Files left out whole. */
  excludedFiles: readonly string[]
  /** Changes discarded from the workspace since the last turn. */
  discarded: readonly ReviewedChange[]
}

export const REVIEW_TITLE = '# Review of your changes'

const EXCLUDED_INTRO =
  'The reviewer left these changes out of what will be published. They are still in your workspace.'
const EXCLUDED_FILES_INTRO = 'Files left out whole (their changes stay in your workspace):'
const DISCARDED_INTRO =
  'The reviewer removed these changes from your workspace: the files no longer have them. ' +
  'Do not make them again unless a comment asks for it.'

/** True when the review has nothing to say. */
export function isEmptyReview(input: ReviewMessageInput): boolean {
  return (
    !input.note?.trim() &&
    input.comments.length === 0 &&
    input.excluded.length === 0 &&
    input.excludedFiles.length === 0 &&
    input.discarded.length === 0
  )
}

/**
 * Bounds: a hostile diff (thousands of hunks, a comment quoting a whole file, thousands of files left
 * out) must not make a message without end. Each quote or patch is cut after QUOTE_MAX_LINES lines or
 * QUOTE_MAX_CHARS characters; entries past MESSAGE_MAX_CHARS and file names past LISTED_FILES_MAX are
 * not shown; every cut is said in the message.
 */
export const MESSAGE_MAX_CHARS = 200_000
export const QUOTE_MAX_LINES = 400
export const QUOTE_MAX_CHARS = 20_000
export const LISTED_FILES_MAX = 200

/** The whole message (ends with a newline). */
export function reviewMessage(input: ReviewMessageInput): string {
  const blocks: string[] = [REVIEW_TITLE]
  const note = input.note?.trim()
  if (note) blocks.push(note)
  const budget = { left: MESSAGE_MAX_CHARS - blocks.join('\n\n').length }
  if (input.comments.length > 0) {
    blocks.push('## Comments')
    blocks.push(...entries(input.comments, commentBlocks, budget, 'comment'))
  }
  if (input.excluded.length > 0 || input.excludedFiles.length > 0) {
    blocks.push('## Changes left out of what will be published', EXCLUDED_INTRO)
    blocks.push(...entries(input.excluded, changeBlocks, budget, 'change'))
    if (input.excludedFiles.length > 0) blocks.push(EXCLUDED_FILES_INTRO, ...fileList(input.excludedFiles))
  }
  if (input.discarded.length > 0) {
    blocks.push('## Changes discarded from the workspace', DISCARDED_INTRO)
    blocks.push(...entries(input.discarded, changeBlocks, budget, 'change'))
  }
  return `${blocks.join('\n\n')}\n`
}

/** The numbered entries that fit in what is left of the message, then a line saying how many did not. */
function entries<T>(
  list: readonly T[],
  blocksOf: (entry: T, n: number) => string[],
  budget: { left: number },
  word: 'comment' | 'change',
): string[] {
  const out: string[] = []
  let shown = 0
  for (const entry of list) {
    const blocks = blocksOf(entry, shown + 1)
    const size = blocks.join('\n\n').length + 2
    if (size > budget.left) break
    budget.left -= size
    out.push(...blocks)
    shown++
  }
  const hidden = list.length - shown
  if (hidden > 0) {
    out.push(
      `_${count(hidden, `more ${word}`)} not shown: the message reached its size limit (${count(MESSAGE_MAX_CHARS, 'character')})._`,
    )
  }
  return out
}

function fileList(paths: readonly string[]): string[] {
  const list = paths
    .slice(0, LISTED_FILES_MAX)
    .map((p) => `- ${inlineCode(p)}`)
    .join('\n')
  const hidden = paths.length - LISTED_FILES_MAX
  return hidden > 0 ? [list, `_${count(hidden, 'more file')} not shown._`] : [list]
}

const count = (n: number, what: string): string => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`

function commentBlocks(comment: ReviewComment, n: number): string[] {
  const lines =
    comment.startLine === comment.endLine
      ? `line ${comment.startLine}`
      : `lines ${comment.startLine}–${comment.endLine}`
  const side = comment.side === 'new' ? 'changed file' : 'original file'
  return [
    `### ${n}. ${inlineCode(comment.path)}, ${lines} (${side})`,
    ...quoted(comment.code, languageOf(comment.path)),
    comment.text.trim(),
  ]
}

function changeBlocks(change: ReviewedChange, n: number): string[] {
  const reason = change.reason?.trim()
  return [
    `### ${n}. ${inlineCode(change.path)}: ${changeScope(change)}`,
    reason ? `Reason: ${reason}` : 'No reason given.',
    ...quoted(change.patch, 'diff'),
  ]
}

/** `text` fenced, cut to QUOTE_MAX_LINES lines and QUOTE_MAX_CHARS characters (the cut said after it). */
function quoted(text: string, language: string): string[] {
  const all = text.split('\n')
  if (all.at(-1) === '') all.pop()
  const kept: string[] = []
  let chars = 0
  for (const line of all) {
    if (kept.length === QUOTE_MAX_LINES || chars + line.length + 1 > QUOTE_MAX_CHARS) break
    kept.push(line)
    chars += line.length + 1
  }
  if (kept.length === all.length) return [fenced(text, language)]
  // A first line longer than the whole allowance (minified code): its start, counted as cut.
  const partial = kept.length === 0
  if (partial) kept.push(all[0]!.slice(0, QUOTE_MAX_CHARS))
  const cut = all.length - kept.length + (partial ? 1 : 0)
  return [fenced(kept.join('\n'), language), `_Cut: ${count(cut, 'more line')} not shown._`]
}

/** "the whole file", "hunk `@@ … @@`", or "lines of hunk `@@ … @@` (added: 12, 13; removed: 10)". */
function changeScope(change: ReviewedChange): string {
  if (change.header === undefined) return 'the whole file'
  const hunk = `hunk ${inlineCode(change.header)}`
  if (!change.lines) return hunk
  if (change.lines.length === 0) return `lines of ${hunk}`
  const numbers = (kind: HunkLine['kind']): number[] =>
    change.lines!.filter((l) => l.kind === kind).map((l) => l.line)
  const parts = [
    ['added', numbers('add')],
    ['removed', numbers('del')],
  ] as const
  const which = parts
    .filter(([, list]) => list.length > 0)
    .map(([word, list]) => `${word}: ${list.join(', ')}`)
  return `lines of ${hunk} (${which.join('; ')})`
}

/** `text` in a fenced block whose fence is longer than every run of backticks in it. */
export function fenced(text: string, language = ''): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1))
  const body = text === '' ? '' : text.endsWith('\n') ? text : `${text}\n`
  return `${fence}${language}\n${body}${fence}`
}

/** `text` as inline code (control characters shown as `\u{…}`), safe whatever backticks it holds. */
export function inlineCode(text: string): string {
  const shown = visibleName(text)
  const ticks = '`'.repeat(longestBacktickRun(shown) + 1)
  const pad = shown.startsWith('`') || shown.endsWith('`') ? ' ' : ''
  return `${ticks}${pad}${shown}${pad}${ticks}`
}

function longestBacktickRun(text: string): number {
  let longest = 0
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length)
  return longest
}

const LANGUAGES: Record<string, string> = {
  ts: 'ts',
  tsx: 'tsx',
  js: 'js',
  jsx: 'jsx',
  mjs: 'js',
  cjs: 'js',
  py: 'python',
  rb: 'ruby',
  rs: 'rust',
  go: 'go',
  java: 'java',
  kt: 'kotlin',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  cc: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  swift: 'swift',
  php: 'php',
  sh: 'sh',
  bash: 'sh',
  json: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'toml',
  md: 'markdown',
  html: 'html',
  css: 'css',
  scss: 'scss',
  sql: 'sql',
}

/** The fence's language for a path (by its extension), or '' when unknown. */
export function languageOf(path: string): string {
  const name = path.split('/').at(-1) ?? ''
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return ''
  return LANGUAGES[name.slice(dot + 1).toLowerCase()] ?? ''
}
