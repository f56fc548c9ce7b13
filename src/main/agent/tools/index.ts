import { applyPatchTool } from './apply-patch'
import { editFileTool, readFileTool, writeFileTool } from './files'
import { finishTool } from './finish'
import { listFilesTool } from './list-files'
import { searchTool } from './search'
import { shellTool } from './shell'
import type { Tool } from './tool'

export { ToolError, defineTool } from './tool'
export type { ExecOptions, ExecResult, Tool, ToolContext, Workspace } from './tool'
export { capToolResult, estimateTokens, TOOL_RESULT_BUDGET } from './budget'
export {
  applyPatchTool,
  editFileTool,
  finishTool,
  listFilesTool,
  readFileTool,
  searchTool,
  shellTool,
  writeFileTool,
}

/** The agent's tool set: shell, read_file, write_file, edit_file, apply_patch, search, list_files, finish. */
export const defaultTools = (): Tool[] => [
  shellTool,
  readFileTool,
  writeFileTool,
  editFileTool,
  applyPatchTool,
  searchTool,
  listFilesTool,
  finishTool,
]
