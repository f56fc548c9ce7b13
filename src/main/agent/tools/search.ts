import { z } from 'zod'
import { TOOL_RESULT_MAX_BYTES } from './budget'
import { callCodexTool } from './codex-tool'
import { defineTool, ToolError } from './tool'

export const DEFAULT_SEARCH_MATCHES = 100
export const MAX_SEARCH_MATCHES = 500
export const MAX_SEARCH_CONTEXT = 10
/** What the helper sends at most: the text the model reads stays inside the tool result budget. */
export const SEARCH_MAX_BYTES = Math.floor(TOOL_RESULT_MAX_BYTES * 0.8)

export interface SearchEntry {
  path: string
  line: number
  text: string
  /** A matching line; false for a context line around one. */
  match: boolean
}

export interface SearchReply {
  entries: SearchEntry[]
  shown: number
  more: number
  timed_out?: boolean
  errors?: string
}

function isSearchReply(value: unknown): value is SearchReply {
  const r = value as Partial<SearchReply> | null
  return !!r && Array.isArray(r.entries) && typeof r.shown === 'number' && typeof r.more === 'number'
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

/** One file's lines: `12:text` for a match, `13-text` for context, `--` between separate context groups. */
function fileBlock(path: string, entries: SearchEntry[]): string {
  const out = [path]
  const withContext = entries.some((e) => !e.match)
  let previous = -1
  for (const e of entries) {
    if (withContext && previous >= 0 && e.line > previous + 1) out.push('--')
    out.push(`${e.line}${e.match ? ':' : '-'}${e.text}`)
    previous = e.line
  }
  return out.join('\n')
}

/** The text the model reads: a summary line, the matches grouped by file, and what was left out. */
export function formatSearchResult(pattern: string, r: SearchReply): string {
  if (r.shown === 0) {
    const why = r.timed_out ? ' (the search timed out)' : ''
    return `No matches for ${JSON.stringify(pattern)}${why}.${r.errors ? `\n${r.errors}` : ''}`
  }
  const byFile = new Map<string, SearchEntry[]>()
  for (const e of r.entries) byFile.set(e.path, [...(byFile.get(e.path) ?? []), e])
  const files = plural(byFile.size, 'file')
  const head =
    r.more > 0
      ? `Showing the first ${plural(r.shown, 'matching line')} in ${files}:`
      : `Found ${plural(r.shown, 'matching line')} in ${files}:`
  const parts = [head, ...[...byFile].map(([path, entries]) => fileBlock(path, entries))]
  if (r.more > 0) {
    parts.push(
      `${r.more} more ${r.more === 1 ? 'match' : 'matches'} not shown; narrow the pattern, path or glob.`,
    )
  }
  if (r.timed_out) parts.push('(the search timed out; the results are incomplete)')
  if (r.errors) parts.push(`(some files could not be searched: ${r.errors.split('\n')[0]})`)
  return parts.join('\n')
}

export const searchTool = defineTool({
  name: 'search',
  description:
    'Search file contents with ripgrep (a Rust regex; set literal for plain text). Honours .gitignore, ' +
    'skips .git and binary files. Returns matching lines grouped by file as `line:text` (context lines ' +
    `as \`line-text\`), at most ${DEFAULT_SEARCH_MATCHES} matching lines unless max_results says otherwise. ` +
    'Case: smart (insensitive unless the pattern has a capital) unless case_sensitive is given.',
  schema: z.object({
    pattern: z.string().min(1).describe('The regular expression (or text, with literal) to look for'),
    path: z
      .string()
      .min(1)
      .optional()
      .describe('File or folder to search, relative to /workspace (default: all)'),
    glob: z
      .string()
      .min(1)
      .optional()
      .describe('Only files matching this glob, e.g. "*.ts" or "src/**/*.py"'),
    context_lines: z
      .number()
      .int()
      .min(0)
      .max(MAX_SEARCH_CONTEXT)
      .optional()
      .describe('Lines of context before and after each match (default 0)'),
    case_sensitive: z.boolean().optional().describe('true: exact case; false: ignore case'),
    literal: z.boolean().optional().describe('Treat the pattern as plain text, not a regex'),
    max_results: z
      .number()
      .int()
      .min(1)
      .max(MAX_SEARCH_MATCHES)
      .optional()
      .describe(`Most matching lines to show (default ${DEFAULT_SEARCH_MATCHES})`),
  }),
  async run(args, ctx) {
    const reply = await callCodexTool(
      ctx,
      {
        op: 'search',
        pattern: args.pattern,
        path: args.path,
        glob: args.glob,
        context: args.context_lines,
        case_sensitive: args.case_sensitive,
        literal: args.literal,
        max_matches: args.max_results ?? DEFAULT_SEARCH_MATCHES,
        max_bytes: SEARCH_MAX_BYTES,
      },
      { timeoutMs: 60_000 },
    )
    if (!isSearchReply(reply)) throw new ToolError('search: the helper sent an incomplete reply')
    return formatSearchResult(args.pattern, reply)
  },
})
