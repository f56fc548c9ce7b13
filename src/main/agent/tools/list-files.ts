import { z } from 'zod'
import { callCodexTool } from './codex-tool'
import { defineTool, ToolError } from './tool'

export const DEFAULT_LIST_DEPTH = 2
export const MAX_LIST_DEPTH = 10
export const DEFAULT_LIST_ENTRIES = 400
export const MAX_LIST_ENTRIES = 2000

export interface ListEntry {
  /** Relative to the listed folder; a folder ends with '/'. */
  path: string
  dir: boolean
  /** For a folder at the depth limit: how many files it holds below that depth. */
  below: number
}

export interface ListReply {
  base: string
  entries: ListEntry[]
  more: number
  files: number
  timed_out?: boolean
}

function isListReply(value: unknown): value is ListReply {
  const r = value as Partial<ListReply> | null
  return !!r && Array.isArray(r.entries) && typeof r.more === 'number'
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`

/** One entry as a line of the tree: indented by its depth, its own name only, folders ending in '/'. */
function entryLine(e: ListEntry): string {
  const parts = e.path.replace(/\/$/, '').split('/')
  const name = `${parts[parts.length - 1] ?? ''}${e.dir ? '/' : ''}`
  const below = e.below > 0 ? `  (${plural(e.below, 'file')} deeper)` : ''
  return `${'  '.repeat(parts.length - 1)}${name}${below}`
}

/** The text the model reads: a heading with the totals, then the tree, then what was left out. */
export function formatListResult(r: ListReply, depth: number): string {
  const where = r.base === '.' ? '/workspace' : `/workspace/${r.base}`
  if (r.entries.length === 0) return `${where}: no files (ignored files and .git are not listed)`
  const lines = [
    `${where} (${plural(r.files ?? 0, 'file')}; depth ${depth}; ignored files and .git not listed):`,
    ...r.entries.map(entryLine),
  ]
  if (r.more > 0) lines.push(`… ${r.more} more entries not shown; list a subfolder or use a smaller depth.`)
  if (r.timed_out) lines.push('(the listing timed out; it is incomplete)')
  return lines.join('\n')
}

export const listFilesTool = defineTool({
  name: 'list_files',
  description:
    'List the files under a folder as a tree, folders ending in "/", down to a depth (default ' +
    `${DEFAULT_LIST_DEPTH}); a folder at the depth limit says how many files it holds deeper. Honours ` +
    '.gitignore (node_modules, build output and the like are not listed) and never lists .git; empty ' +
    'folders are not shown.',
  schema: z.object({
    path: z.string().min(1).optional().describe('Folder to list, relative to /workspace (default: the root)'),
    depth: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIST_DEPTH)
      .optional()
      .describe(`How many levels to show (default ${DEFAULT_LIST_DEPTH})`),
    max_entries: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIST_ENTRIES)
      .optional()
      .describe(`Most entries to show (default ${DEFAULT_LIST_ENTRIES})`),
  }),
  async run(args, ctx) {
    const depth = args.depth ?? DEFAULT_LIST_DEPTH
    const reply = await callCodexTool(
      ctx,
      { op: 'list', path: args.path, depth, max_entries: args.max_entries ?? DEFAULT_LIST_ENTRIES },
      { timeoutMs: 60_000 },
    )
    if (!isListReply(reply)) throw new ToolError('list_files: the helper sent an incomplete reply')
    return formatListResult(reply, depth)
  },
})
