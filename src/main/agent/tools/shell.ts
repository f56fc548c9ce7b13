import { z } from 'zod'
import { callCodexTool } from './codex-tool'
import { defineTool, ToolError } from './tool'

export const DEFAULT_SHELL_TIMEOUT_S = 120
export const MAX_SHELL_TIMEOUT_S = 1800
/** Each of stdout and stderr keeps this many bytes from its start and from its end. */
export const SHELL_HEAD_BYTES = 10_000
export const SHELL_TAIL_BYTES = 10_000

interface ShellReply {
  exit_code: number
  timed_out: boolean
  stdout: string
  stderr: string
  lingering?: boolean
  /** The kernel killed something in the container for want of memory while the command ran. */
  oom_killed?: boolean
  /** A fork failed at the container's process limit while the command ran; what it left running was killed. */
  pids_limit_hit?: boolean
}

function isShellReply(value: unknown): value is ShellReply {
  const r = value as Partial<ShellReply> | null
  return (
    !!r && typeof r.exit_code === 'number' && typeof r.stdout === 'string' && typeof r.stderr === 'string'
  )
}

/** The text the model reads: status line, then each non-empty stream. */
export function formatShellResult(r: ShellReply, timeoutS: number): string {
  const status = r.timed_out
    ? `Command timed out after ${timeoutS} s and was killed.`
    : r.oom_killed
      ? `Command ran out of memory (OOMKilled: the container's memory limit was reached); exit code ${r.exit_code}.`
      : r.exit_code < 0
        ? `Command was killed by signal ${-r.exit_code}.`
        : `Exit code: ${r.exit_code}`
  const parts = [status]
  if (r.stdout) parts.push(`stdout:\n${r.stdout}`)
  if (r.stderr) parts.push(`stderr:\n${r.stderr}`)
  if (!r.stdout && !r.stderr) parts.push('(no output)')
  if (r.pids_limit_hit) {
    parts.push(
      '(the command hit the container’s process limit: a fork failed, and every process it left running was killed)',
    )
  }
  if (r.lingering) parts.push('(background processes still hold the output open; later output is not shown)')
  return parts.join('\n')
}

export const shellTool = defineTool({
  name: 'shell',
  description:
    'Run a shell command with bash -lc in /workspace (no interactive input; the network is as the system ' +
    'prompt says). Returns the exit ' +
    `code, stdout and stderr; long output keeps its first and last ${SHELL_HEAD_BYTES / 1000} KB. Default ` +
    `timeout ${DEFAULT_SHELL_TIMEOUT_S} s.`,
  schema: z.object({
    command: z.string().min(1).describe('The command line, run with bash -lc in /workspace'),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_SHELL_TIMEOUT_S)
      .optional()
      .describe(`Seconds before the command is killed (default ${DEFAULT_SHELL_TIMEOUT_S})`),
  }),
  async run(args, ctx) {
    let timeoutS = args.timeout_seconds ?? DEFAULT_SHELL_TIMEOUT_S
    if (ctx.deadline !== undefined) {
      timeoutS = Math.max(1, Math.min(timeoutS, Math.ceil((ctx.deadline - Date.now()) / 1000)))
    }
    const reply = await callCodexTool(
      ctx,
      {
        op: 'shell',
        command: args.command,
        timeout_seconds: timeoutS,
        head_bytes: SHELL_HEAD_BYTES,
        tail_bytes: SHELL_TAIL_BYTES,
      },
      // Backstop only: codex-tool kills the command's process group itself at timeout_seconds.
      { timeoutMs: (timeoutS + 30) * 1000 },
    )
    if (!isShellReply(reply)) throw new ToolError('shell: the helper sent an incomplete reply')
    const text = formatShellResult(reply, timeoutS)
    if (reply.timed_out || reply.oom_killed || reply.exit_code !== 0) throw new ToolError(text)
    return text
  },
})
