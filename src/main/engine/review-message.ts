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

/** The whole message (ends with a newline). */
export function reviewMessage(input: ReviewMessageInput): string {
  const blocks: string[] = [REVIEW_TITLE]
  const note = input.note?.trim()
  if (note) blocks.push(note)
  if (input.comments.length > 0) {
    blocks.push('## Comments')
    input.comments.forEach((comment, i) => blocks.push(...commentBlocks(comment, i + 1)))
  }
  if (input.excluded.length > 0 || input.excludedFiles.length > 0) {
    blocks.push('## Changes left out of what will be published', EXCLUDED_INTRO)
    input.excluded.forEach((change, i) => blocks.push(...changeBlocks(change, i + 1)))
    if (input.excludedFiles.length > 0) {
      blocks.push(EXCLUDED_FILES_INTRO, input.excludedFiles.map((p) => `- ${inlineCode(p)}`).join('\n'))
    }
  }
  if (input.discarded.length > 0) {
    blocks.push('## Changes discarded from the workspace', DISCARDED_INTRO)
    input.discarded.forEach((change, i) => blocks.push(...changeBlocks(change, i + 1)))
  }
  return `${blocks.join('\n\n')}\n`
}

function commentBlocks(comment: ReviewComment, n: number): string[] {
  const lines =
    comment.startLine === comment.endLine
      ? `line ${comment.startLine}`
      : `lines ${comment.startLine}–${comment.endLine}`
  const side = comment.side === 'new' ? 'changed file' : 'original file'
  return [
    `### ${n}. ${inlineCode(comment.path)}, ${lines} (${side})`,
    fenced(comment.code, languageOf(comment.path)),
    comment.text.trim(),
  ]
}

function changeBlocks(change: ReviewedChange, n: number): string[] {
  const reason = change.reason?.trim()
  return [
    `### ${n}. ${inlineCode(change.path)}: ${changeScope(change)}`,
    reason ? `Reason: ${reason}` : 'No reason given.',
    fenced(change.patch, 'diff'),
  ]
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
