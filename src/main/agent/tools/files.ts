import { z } from 'zod'
import { callCodexTool } from './codex-tool'
import { defineTool } from './tool'

const path = z.string().min(1).describe('File path, relative to /workspace (or absolute under /workspace)')

export const readFileTool = defineTool({
  name: 'read_file',
  description:
    'Read a text file with line numbers. Reads up to 2000 lines (40 KB) at a time; use start_line/end_line ' +
    'to read other parts of a long file. Lines are shown without their line endings (a CRLF file says so).',
  schema: z.object({
    path,
    start_line: z.number().int().min(1).optional().describe('First line to show (1-based)'),
    end_line: z.number().int().min(1).optional().describe('Last line to show (inclusive)'),
  }),
  async run(args, ctx) {
    const reply = await callCodexTool(ctx, { op: 'read', ...args })
    return reply.output ?? ''
  },
})

export const writeFileTool = defineTool({
  name: 'write_file',
  description:
    'Create or overwrite a file with the given content; parent directories are created. Prefer edit_file ' +
    'for changes to an existing file.',
  schema: z.object({ path, content: z.string().describe('The complete new content of the file') }),
  async run(args, ctx) {
    const reply = await callCodexTool(ctx, { op: 'write', ...args })
    return reply.output ?? ''
  },
})

export const editFileTool = defineTool({
  name: 'edit_file',
  description:
    'Replace one exact occurrence of old_string with new_string in a file. old_string must match the file ' +
    'exactly (whitespace and indentation included) and occur exactly once; include surrounding lines to ' +
    'make it unique. Write line breaks as \\n: in a CRLF file they match \\r\\n and the file keeps CRLF.',
  schema: z.object({
    path,
    old_string: z.string().min(1).describe('The exact text to replace'),
    new_string: z.string().describe('The replacement text'),
  }),
  async run(args, ctx) {
    const reply = await callCodexTool(ctx, { op: 'edit', ...args })
    return reply.output ?? ''
  },
})
