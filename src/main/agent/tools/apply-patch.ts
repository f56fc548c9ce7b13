import { z } from 'zod'
import { callCodexTool } from './codex-tool'
import { defineTool } from './tool'

/** The patch format, taught in the tool description (the format Codex models are trained on). */
export const APPLY_PATCH_DESCRIPTION = [
  'Edit files with a patch: add, update, delete and move several files in one call. The patch is applied',
  'atomically: every hunk must match or no file is changed, and the error names the hunk that did not.',
  'Format:',
  '*** Begin Patch',
  '*** Add File: path/new.txt',
  '+every line of the new file, each starting with +',
  '*** Update File: path/old.py',
  '*** Move to: path/renamed.py   (optional: rename the updated file)',
  '@@ def greet():   (optional: a line just above the change, to find it)',
  ' context line (starts with a space)',
  '-line to remove',
  '+line to add',
  '*** End of File   (optional: the hunk ends at the last line)',
  '*** Delete File: path/obsolete.txt',
  '*** End Patch',
  'Give about 3 lines of unchanged context above and below each change; start each new hunk with @@.',
  'Paths are relative to /workspace. Write lines without \\r: a CRLF file keeps its line endings.',
].join('\n')

export const applyPatchTool = defineTool({
  name: 'apply_patch',
  description: APPLY_PATCH_DESCRIPTION,
  schema: z.object({
    patch: z.string().min(1).describe('The whole patch, from "*** Begin Patch" to "*** End Patch"'),
  }),
  async run(args, ctx) {
    const reply = await callCodexTool(ctx, { op: 'apply_patch', patch: args.patch })
    return reply.output ?? ''
  },
})
