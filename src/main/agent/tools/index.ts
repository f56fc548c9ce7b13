import { editFileTool, readFileTool, writeFileTool } from './files'
import { finishTool } from './finish'
import { shellTool } from './shell'
import type { Tool } from './tool'

export { ToolError, defineTool } from './tool'
export type { ExecOptions, ExecResult, Tool, ToolContext, Workspace } from './tool'
export { editFileTool, finishTool, readFileTool, shellTool, writeFileTool }

/** The agent's tool set: shell, read_file, write_file, edit_file, finish. */
export const defaultTools = (): Tool[] => [shellTool, readFileTool, writeFileTool, editFileTool, finishTool]
