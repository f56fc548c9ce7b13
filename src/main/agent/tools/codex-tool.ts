import { AppError } from '../../errors'
import { ToolError, type ToolContext } from './tool'

/** The helper's path inside the agent image (agent-image/codex-tool). */
export const CODEX_TOOL = 'codex-tool'
export const WORKSPACE_DIR = '/workspace'

export type CodexToolRequest =
  | { op: 'read'; path: string; start_line?: number; end_line?: number }
  | { op: 'write'; path: string; content: string }
  | { op: 'edit'; path: string; old_string: string; new_string: string }
  | { op: 'shell'; command: string; timeout_seconds: number; head_bytes?: number; tail_bytes?: number }
  | { op: 'apply_patch'; patch: string }
  | {
      op: 'search'
      pattern: string
      path?: string
      glob?: string
      context?: number
      case_sensitive?: boolean
      literal?: boolean
      max_matches?: number
      max_bytes?: number
    }
  | { op: 'list'; path?: string; depth?: number; max_entries?: number }

export interface CodexToolReply {
  ok: boolean
  output?: string
  error?: string
  [key: string]: unknown
}

const firstLine = (text: string): string => text.trim().split('\n')[0]?.slice(0, 300) ?? ''

/**
 * Runs one codex-tool request in the workspace: one exec, JSON in on stdin, JSON out on stdout. In a
 * container the request goes framed (docker/stdin-frame.ts): the helper gets exactly its bytes and an
 * end-of-file without the host half-closing the stream, which Docker Desktop's named pipe cannot.
 * A refused request (`ok: false`) becomes a ToolError the model reads; a helper that is missing,
 * crashes or answers garbage is an infrastructure failure (AppError).
 */
export async function callCodexTool(
  ctx: ToolContext,
  request: CodexToolRequest,
  opts: { timeoutMs?: number } = {},
): Promise<CodexToolReply> {
  const result = await ctx.workspace.exec([CODEX_TOOL], {
    cwd: WORKSPACE_DIR,
    stdin: JSON.stringify(request),
    timeoutMs: opts.timeoutMs ?? 120_000,
    maxOutputBytes: 8 * 1024 * 1024,
    signal: ctx.signal,
  })
  if (result.timedOut) throw new ToolError(`${request.op} timed out in the workspace`)
  let reply: unknown
  try {
    reply = JSON.parse(result.stdout)
  } catch {
    reply = undefined
  }
  if (!reply || typeof reply !== 'object' || typeof (reply as CodexToolReply).ok !== 'boolean') {
    const missing = result.exitCode === 126 || result.exitCode === 127
    throw new AppError(
      'container_failed',
      missing
        ? 'The agent image has no working codex-tool helper'
        : `The codex-tool helper failed in the container (exit code ${result.exitCode})`,
      {
        hint: missing
          ? 'Rebuild the agent image (npm run image) and try again.'
          : 'Check that the container is still running and has memory left, then try again.',
        details: { exitCode: result.exitCode, stderr: firstLine(result.stderr) },
      },
    )
  }
  const typed = reply as CodexToolReply
  if (!typed.ok) throw new ToolError(typed.error ?? `${request.op} failed`)
  return typed
}
