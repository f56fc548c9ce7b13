import { AGENT_HOME } from '../docker/container-spec'
import type { Sandbox } from '../docker/sandbox'
import { AppError } from '../errors'

/** How often a running container's workspace is measured. */
export const WORKSPACE_CHECK_MS = 10_000
const GB = 1024 ** 3

/** `du -sxk[c]` output: the last line's size in bytes (the total), or undefined when there is none. */
export function parseDuKilobytes(output: string): number | undefined {
  const lines = output.trim().split('\n')
  const m = /^(\d+)\s/.exec(lines.at(-1) ?? '')
  return m ? Number(m[1]) * 1024 : undefined
}

export const formatGb = (bytes: number): string => `${(bytes / GB).toFixed(1)} GB`

/**
 * Measures the workspace from inside the container (`du`, in the container's own CPU budget, never a
 * host walk of a tree the agent controls) every `intervalMs`, and stops the task with a clear error once
 * it is larger than `maxGb`. A measurement that fails (the container is going away) is skipped.
 */
export function watchWorkspaceSize(
  sandbox: Pick<Sandbox, 'exec'>,
  maxGb: number,
  stop: (reason: AppError) => void,
  intervalMs = WORKSPACE_CHECK_MS,
): { stop: () => void; check: () => Promise<number | undefined> } {
  const limit = maxGb * GB
  let busy = false
  let stopped = false
  const check = async (): Promise<number | undefined> => {
    if (busy || stopped) return undefined
    busy = true
    try {
      // The workspace and HOME both live on the host's disk; `-c` ends with their total.
      const res = await sandbox.exec(['du', '-sxkc', '/workspace', AGENT_HOME], { timeoutMs: 60_000 })
      const bytes = parseDuKilobytes(res.stdout)
      if (bytes !== undefined && bytes > limit && !stopped) {
        stopped = true
        stop(
          new AppError(
            'budget_exceeded',
            `The workspace grew past its limit: ${formatGb(bytes)}, more than ${maxGb} GB.`,
            {
              hint: 'Raise "Workspace size" in Settings (Sandbox) if the project really needs it, or ask the agent not to create large files.',
              details: { bytes, limitBytes: limit },
            },
          ),
        )
      }
      return bytes
    } catch {
      return undefined
    } finally {
      busy = false
    }
  }
  const timer = setInterval(() => void check(), intervalMs)
  timer.unref()
  return {
    stop: () => {
      stopped = true
      clearInterval(timer)
    },
    check,
  }
}
