import { z } from 'zod'
import { defineTool } from './tool'

export const finishTool = defineTool({
  name: 'finish',
  description:
    'Call when the task is done (or cannot be done). The summary tells the user what you changed and why, ' +
    'what you verified, and anything left for them to do.',
  schema: z.object({ summary: z.string().min(1).describe('What was done, for the user reviewing the diff') }),
  endsTurn: true,
  async run(args) {
    return args.summary
  },
})
