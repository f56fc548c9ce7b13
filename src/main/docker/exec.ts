import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type Docker from 'dockerode'
import { AppError } from '../errors'
import { dockerStatusCode, toDockerAppError } from './client'
import { WORKSPACE_DIR } from './container-spec'
import { createDemuxer, ExecOutput } from './exec-output'
import { watchExit } from './exec-wait'
import { frameStdin, framedArgv } from './stdin-frame'
import type { SandboxUser } from './workspace-owner'
import type {
  ExecOptions as WorkspaceExecOptions,
  ExecResult as WorkspaceExecResult,
} from '../agent/tools/tool'

/** The Workspace contract of the agent's tools, with what only a container can add. */
export interface ExecOptions extends WorkspaceExecOptions {
  env?: Record<string, string>
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void
  /**
   * At most this much output (both streams together) goes to `onOutput`; past it, one note and nothing
   * more, while the rest is still drained and kept head and tail (default: no limit).
   */
  maxStreamedBytes?: number
}

export interface ExecResult extends WorkspaceExecResult {
  durationMs: number
  /** The kernel's OOM killer ended a process of this command (the container's memory limit was hit). */
  oomKilled: boolean
}

export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024
/** Grace given to the in-container `timeout` before the host kills the command itself. */
const HOST_BACKSTOP_MS = 5_000
/** Environment variable marking every process of one exec, so the host can kill them all. */
export const EXEC_MARKER = 'CODEX_EXEC'
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The argv actually run: wrapped in coreutils `timeout` when a limit is set. */
export function wrapArgv(argv: string[], timeoutMs?: number): string[] {
  if (!argv.length) throw new AppError('invalid_input', 'Nothing to run: the command is empty.')
  if (timeoutMs === undefined) return [...argv]
  const seconds = Math.max(0.1, timeoutMs / 1000)
  return ['timeout', '--kill-after=2', `${Number(seconds.toFixed(3))}s`, ...argv]
}

/** `KEY=value` pairs for the exec, refusing names that are not plain identifiers. */
export function execEnv(marker: string, env: Record<string, string> = {}): string[] {
  const out = [`${EXEC_MARKER}=${marker}`]
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_NAME.test(key) || key === EXEC_MARKER || value.includes('\0')) {
      throw new AppError('invalid_input', `Invalid environment variable name for a sandbox command: ${key}`)
    }
    out.push(`${key}=${value}`)
  }
  return out
}

/**
 * Kills every process carrying the exec's marker (the command and whatever it started). One scan misses a
 * process forked while it ran: scans repeat until one finds none (at most 50).
 */
const KILL_SCRIPT = [
  'i=0; while [ "$i" -lt 50 ]; do i=$((i+1)); found=0',
  'for d in /proc/[0-9]*; do grep -qzx "$1=$2" "$d/environ" 2>/dev/null && kill -9 "${d#/proc/}" 2>/dev/null && found=1; done',
  '[ "$found" = 0 ] && break; done; true',
].join('\n')

async function killMarked(container: Docker.Container, user: SandboxUser, marker: string): Promise<void> {
  try {
    const exec = await container.exec({
      Cmd: ['sh', '-c', KILL_SCRIPT, 'sh', EXEC_MARKER, marker],
      User: `${user.uid}:${user.gid}`,
      AttachStdout: true,
      AttachStderr: true,
    })
    const stream = (await exec.start({})) as Duplex
    stream.resume()
    await watchExit(exec, stream).done
  } catch {
    // The container may be gone already: nothing left to kill.
  }
}

/**
 * Starts `cmd` in `container` as `user` with stdin attached and returns the exec's raw (multiplexed)
 * stream: for helpers that talk to the host over it. Errors are Docker's own; the caller says what
 * failed.
 */
export async function startAttachedExec(
  container: Docker.Container,
  user: SandboxUser,
  cmd: string[],
  workingDir: string,
): Promise<Duplex> {
  const exec = await container.exec({
    Cmd: cmd,
    User: `${user.uid}:${user.gid}`,
    WorkingDir: workingDir,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  })
  return (await exec.start({ hijack: true, stdin: true })) as Duplex
}

/**
 * Runs one command in a running container; see `Sandbox.exec`. `oomKilled` is left to the caller.
 *
 * Nothing depends on half-closing the stream (Docker Desktop's named pipe cannot): stdin goes framed
 * (stdin-frame.ts) and is never closed from here, and the command's end is the exec's exit as the engine
 * reports it (exec-wait.ts), not the stream's end.
 */
export async function runExec(
  container: Docker.Container,
  user: SandboxUser,
  argv: string[],
  opts: ExecOptions = {},
): Promise<Omit<ExecResult, 'oomKilled'>> {
  const { timeoutMs, signal } = opts
  if (signal?.aborted) throw new AppError('cancelled', 'The command was cancelled before it started.')
  const marker = randomBytes(8).toString('hex')
  const stdin = opts.stdin === undefined ? undefined : frameStdin(opts.stdin)
  const started = Date.now()
  let exec: Docker.Exec
  let stream: Duplex
  try {
    exec = await container.exec({
      Cmd: wrapArgv(stdin === undefined ? argv : framedArgv(argv), timeoutMs),
      User: `${user.uid}:${user.gid}`,
      WorkingDir: opts.cwd ?? WORKSPACE_DIR,
      Env: execEnv(marker, opts.env),
      AttachStdin: stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    })
    stream = (await exec.start({ hijack: stdin !== undefined, stdin: stdin !== undefined })) as Duplex
  } catch (err) {
    if (dockerStatusCode(err) === 409 || dockerStatusCode(err) === 404) {
      throw new AppError('container_failed', 'The task container is not running.', {
        hint: 'The container stopped (out of memory, killed or removed); start the task again.',
        cause: err,
      })
    }
    throw toDockerAppError(err, 'Could not run a command in the task container')
  }

  const output = new ExecOutput(
    opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    opts.onOutput,
    opts.maxStreamedBytes,
  )
  const demux = createDemuxer((name, payload) => output.push(name, payload))
  const watch = watchExit(exec, stream)
  let hostTimedOut = false
  let aborted = false
  let timer: NodeJS.Timeout | undefined
  // After the kill, give the output a moment to drain, then stop waiting for it.
  const killAndStop = (): void => void killMarked(container, user, marker).finally(() => watch.stop(1_000))
  const onAbort = (): void => {
    aborted = true
    killAndStop()
  }
  let exitCode: number | undefined
  try {
    stream.on('data', (chunk: Buffer) => demux(chunk))
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        hostTimedOut = true
        killAndStop()
      }, timeoutMs + HOST_BACKSTOP_MS)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    // Written, never ended: the framed reader in the container knows where the input stops.
    if (stdin !== undefined) stream.write(stdin)
    exitCode = await watch.done
  } catch (err) {
    if (!aborted && !hostTimedOut) throw err
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  const durationMs = Date.now() - started
  if (aborted) throw new AppError('cancelled', 'The command was cancelled.')
  if (hostTimedOut || exitCode === undefined) exitCode = 137

  const timedOut =
    hostTimedOut ||
    (timeoutMs !== undefined && (exitCode === 124 || exitCode === 137) && durationMs >= timeoutMs - 50)
  let stdout = output.text('stdout')
  let stderr = output.text('stderr')
  if ((exitCode === 126 || exitCode === 127) && stdout.startsWith('OCI runtime exec failed')) {
    // The runtime could not start the command (missing binary, missing cwd): that is an error message.
    stderr = stdout.replace(/\r\n/g, '\n') + stderr
    stdout = ''
  }
  return {
    exitCode,
    stdout,
    stderr,
    timedOut,
    truncated: output.truncated,
    durationMs,
  }
}
