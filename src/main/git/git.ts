import { spawn } from 'node:child_process'
import { AppError } from '../errors'
import {
  currentHost,
  gitCommand,
  gitEnvironment,
  gitMissing,
  type GitHost,
  killTree,
  platformGitConfig,
  xcodeStubError,
} from './git-host'
import { redactSecrets } from './redact'

/**
 * The one way host-side git runs (GitHub Desktop style): an argument array, the exit codes the caller
 * expects, and a hardened configuration fit for untrusted repositories. Anything unexpected throws
 * `GitError`; turn it into an `AppError` with `gitFailed()` where it crosses a boundary.
 */
export interface GitOptions {
  cwd?: string
  /** Passed as `--git-dir`; with it git does no repository discovery. */
  gitDir?: string
  /** Passed as `--work-tree`. */
  workTree?: string
  /** Exit codes that are not failures; default [0]. */
  successExitCodes?: number[]
  /** Added to the (minimal) environment, e.g. GIT_INDEX_FILE. */
  env?: Record<string, string>
  input?: string | Buffer
  signal?: AbortSignal
  /** Kill git and fail when stdout grows beyond this many bytes; default unlimited. */
  maxBuffer?: number
  /** Values (tokens) to redact from errors built from this command. */
  secrets?: string[]
  /** The machine git runs for (platform, environment, home); default this process's. For tests. */
  host?: Partial<GitHost>
}

export interface GitResult {
  stdout: string
  stderr: string
  exitCode: number
  stdoutBuffer?: Buffer
}

export class GitError extends Error {
  readonly args: string[]
  readonly exitCode: number
  readonly stderr: string

  constructor(args: string[], exitCode: number, stderr: string, secrets: string[] = []) {
    const safeArgs = args.map((a) => redactSecrets(a, secrets))
    const safeStderr = redactSecrets(stderr, secrets)
    super(
      `git ${safeArgs[0] ?? ''} failed with exit code ${exitCode}: ${firstLine(safeStderr) || '(no output)'}`,
    )
    this.name = 'GitError'
    this.args = safeArgs
    this.exitCode = exitCode
    this.stderr = safeStderr
  }
}

export const GIT_IDENTITY = { name: 'codex-sys', email: 'codex-sys@localhost' } as const

/** `-c` settings that win over any repository-local config. */
const HARDENING_CONFIG = [
  'core.hooksPath=/dev/null',
  'safe.directory=*',
  'core.fsmonitor=false',
  'core.untrackedCache=false',
  'core.symlinks=true',
  'core.quotePath=false',
  'core.pager=cat',
  'core.editor=true',
  'core.askPass=',
  'core.sshCommand=ssh -o BatchMode=yes',
  'core.excludesFile=/dev/null',
  'core.attributesFile=/dev/null',
  // git refuses paths that are .git on another file system (GIT~1, .git., .g\u200cit): on for every OS.
  'core.protectNTFS=true',
  'core.protectHFS=true',
  'credential.helper=',
  'protocol.file.allow=never',
  'protocol.ext.allow=never',
  'submodule.recurse=false',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'gc.auto=0',
  'maintenance.auto=false',
  `user.name=${GIT_IDENTITY.name}`,
  `user.email=${GIT_IDENTITY.email}`,
].flatMap((kv) => ['-c', kv])

function gitEnv(host: GitHost, extra: Record<string, string> | undefined): Record<string, string> {
  return {
    // The platform's required variables, HOME (ssh's keys) and no user or system git config.
    ...gitEnvironment(host),
    LC_ALL: 'C',
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_EDITOR: 'true',
    GIT_NO_REPLACE_OBJECTS: '1',
    GIT_AUTHOR_NAME: GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: GIT_IDENTITY.email,
    GIT_COMMITTER_NAME: GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: GIT_IDENTITY.email,
    ...extra,
  }
}

export function buildGitArgs(args: string[], opts: GitOptions = {}): string[] {
  const location: string[] = []
  if (opts.gitDir) location.push(`--git-dir=${opts.gitDir}`)
  if (opts.workTree) location.push(`--work-tree=${opts.workTree}`)
  const host = { ...currentHost(), ...opts.host }
  return ['--no-pager', ...HARDENING_CONFIG, ...platformGitConfig(host), ...location, ...args]
}

export async function runGit(args: string[], opts: GitOptions = {}): Promise<GitResult> {
  const expected = opts.successExitCodes ?? [0]
  if (opts.signal?.aborted) throw cancelled()
  const host = { ...currentHost(), ...opts.host }
  const child = spawn(gitCommand(host), buildGitArgs(args, opts), {
    cwd: opts.cwd,
    env: gitEnv(host, opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
    // Its own process group, so that killing it also kills what it started (remote helpers, ssh);
    // on Windows taskkill /T follows the tree instead.
    detached: host.platform !== 'win32',
  })
  const kill = (): void => killTree(host, child)
  const out: Buffer[] = []
  const err: Buffer[] = []
  let outBytes = 0
  let overflow = false
  child.stdout.on('data', (chunk: Buffer) => {
    outBytes += chunk.length
    if (opts.maxBuffer !== undefined && outBytes > opts.maxBuffer) {
      overflow = true
      kill()
      return
    }
    out.push(chunk)
  })
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
  // git may exit before reading all of its input (EPIPE): its exit code tells the story.
  child.stdin.on('error', () => undefined)
  child.stdin.end(opts.input ?? '')

  let aborted = false
  let onAbort = (): void => undefined
  const listener = (): void => onAbort()
  opts.signal?.addEventListener('abort', listener, { once: true })

  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 + 9 : -1)))
      // Do not wait for 'close' on abort: a grandchild may hold the pipes open a while longer.
      onAbort = () => {
        aborted = true
        kill()
        resolve(-1)
      }
      if (opts.signal?.aborted) onAbort()
    })
    const stderr = Buffer.concat(err).toString('utf8')
    if (aborted) throw cancelled()
    // macOS's /usr/bin/git without the developer tools: say what to install, whatever the caller expects.
    if (exitCode !== 0) {
      const stub = xcodeStubError(stderr)
      if (stub) throw stub
    }
    if (overflow) {
      throw new GitError(args, exitCode, `output exceeded ${opts.maxBuffer} bytes`, opts.secrets)
    }
    if (!expected.includes(exitCode)) throw new GitError(args, exitCode, stderr, opts.secrets)
    const stdoutBuffer = Buffer.concat(out)
    let text: string | undefined
    // Decoded on first use: callers parsing the bytes (diffs, blobs) never pay for a string copy.
    return {
      get stdout(): string {
        text ??= stdoutBuffer.toString('utf8')
        return text
      },
      stderr,
      exitCode,
      stdoutBuffer,
    }
  } catch (e) {
    if (e instanceof GitError || e instanceof AppError) throw e
    const code = (e as { code?: unknown }).code
    if (code === 'ENOENT') throw gitMissing(host)
    throw new GitError(args, -1, e instanceof Error ? e.message : String(e), opts.secrets)
  } finally {
    opts.signal?.removeEventListener('abort', listener)
  }
}

function cancelled(): AppError {
  return new AppError('cancelled', 'The git command was cancelled.')
}

function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim())
  return lines.find((l) => l.startsWith('fatal:') || l.startsWith('error:')) ?? lines.find(Boolean) ?? ''
}

/** Maps anything a git step threw to an `AppError` ('git_failed' unless it already is one). */
export function gitFailed(err: unknown, what: string, hint?: string): AppError {
  if (err instanceof AppError) return err
  if (err instanceof GitError) {
    return new AppError('git_failed', `${what}: ${firstLine(err.stderr) || `exit code ${err.exitCode}`}`, {
      hint,
      details: { exitCode: err.exitCode, command: err.args[0] },
      cause: err,
    })
  }
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new AppError('disk_full', `${what}: the disk is full.`, {
      hint: 'Free some disk space and try again.',
    })
  }
  return new AppError('git_failed', `${what}.`, { hint, cause: err })
}
