import { type ChildProcess, spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { homedir } from 'node:os'
import { join, win32 } from 'node:path'
import { AppError } from '../errors'

/**
 * What host git needs of the machine it runs on: which variables of the user's environment it must keep,
 * which git to start, the platform's extra `-c` settings, and how to kill it with everything it started.
 * Every function takes the host (platform, environment, home) so that tests on Linux can ask what a
 * Windows or macOS machine would get; the default is this process's.
 */
export interface GitHost {
  platform: NodeJS.Platform
  env: NodeJS.ProcessEnv
  /** Where ssh finds the user's keys (and known_hosts): git's HOME. */
  home: string
}

export const currentHost = (): GitHost => ({ platform: process.platform, env: process.env, home: homedir() })

/**
 * The Windows variables git, its remote helpers and ssh need: without SystemRoot Winsock cannot start
 * ("getaddrinfo() thread failed to start"), without TEMP/TMP or the profile folders MSYS falls back to
 * the Windows folder, without PATHEXT/ComSpec nothing it starts is found.
 */
export const WINDOWS_ENV = [
  'SystemRoot',
  'SystemDrive',
  'windir',
  'TEMP',
  'TMP',
  'USERPROFILE',
  'HOMEDRIVE',
  'HOMEPATH',
  'APPDATA',
  'LOCALAPPDATA',
  'ProgramData',
  'ProgramFiles',
  'ProgramFiles(x86)',
  'ProgramW6432',
  'CommonProgramFiles',
  'PATHEXT',
  'ComSpec',
  'OS',
  'NUMBER_OF_PROCESSORS',
  'PROCESSOR_ARCHITECTURE',
  'USERNAME',
] as const

/** POSIX: the temporary folder (macOS gives each user its own), and the ssh agent on every platform. */
const POSIX_ENV = ['TMPDIR'] as const
const ANY_ENV = ['SSH_AUTH_SOCK'] as const

/** A variable of `env`, by name; on Windows names are case-insensitive (`Path`, `SYSTEMROOT`). */
export function hostVar(host: GitHost, name: string): string | undefined {
  if (host.env[name] !== undefined || host.platform !== 'win32') return host.env[name]
  const key = Object.keys(host.env).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : host.env[key]
}

/**
 * The environment of every host git process, before the call's own additions: the platform's required
 * variables, HOME at the user's home (ssh's keys), and none of the user's git configuration (no system
 * file, and GIT_CONFIG_GLOBAL instead of ~/.gitconfig and ~/.config/git/config).
 */
export function gitEnvironment(host: GitHost): Record<string, string> {
  const env: Record<string, string> = {}
  const keep = [...(host.platform === 'win32' ? WINDOWS_ENV : POSIX_ENV), ...ANY_ENV]
  for (const name of keep) {
    const value = hostVar(host, name)
    if (value) env[name] = value
  }
  const path = hostVar(host, 'PATH')
  env.PATH = path ?? (host.platform === 'win32' ? '' : '/usr/local/bin:/usr/bin:/bin')
  // Git for Windows reads /dev/null as NUL: the same value serves every platform.
  env.HOME = host.home
  env.GIT_CONFIG_NOSYSTEM = '1'
  env.GIT_CONFIG_GLOBAL = '/dev/null'
  return env
}

/** The settings (`key=value`) a platform needs: paths beyond 260 characters on Windows. */
export const platformGitSettings = (host: GitHost): string[] =>
  host.platform === 'win32' ? ['core.longpaths=true'] : []

/** The same settings as `-c` arguments. */
export const platformGitConfig = (host: GitHost): string[] =>
  platformGitSettings(host).flatMap((kv) => ['-c', kv])

/**
 * The git to start. On Windows a bare name is looked up in the working directory before PATH, and our
 * working directory is often an imported repository: a `git.exe` in it would run. So find git in PATH's
 * absolute entries ourselves and start it by its full path.
 */
export function gitCommand(host: GitHost, exists: (path: string) => boolean = isExecutable): string {
  if (host.platform !== 'win32') return 'git'
  const dirs = (hostVar(host, 'PATH') ?? '').split(';').map((d) => d.trim().replace(/^"(.*)"$/, '$1'))
  for (const dir of dirs) {
    if (!dir || !win32.isAbsolute(dir)) continue
    for (const name of ['git.exe', 'git.cmd']) {
      if (exists(join(dir, name))) return join(dir, name)
    }
  }
  throw gitMissing(host)
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.F_OK)
    return true
  } catch {
    return false
  }
}

/** How to kill a git process and everything it started (remote helpers, ssh). */
export type TreeKill =
  | { kind: 'command'; file: string; args: string[] }
  | { kind: 'process-group'; pid: number; signal: NodeJS.Signals }

export function treeKill(host: GitHost, pid: number): TreeKill {
  if (host.platform === 'win32') {
    const root = hostVar(host, 'SystemRoot')
    const file = root ? join(root, 'System32', 'taskkill.exe') : 'taskkill.exe'
    return { kind: 'command', file, args: ['/T', '/F', '/PID', String(pid)] }
  }
  // The child was started detached: its own process group, whose id is its pid.
  return { kind: 'process-group', pid: -pid, signal: 'SIGKILL' }
}

/** Kills `child` and its descendants; falls back to the child alone when the tree kill cannot run. */
export function killTree(host: GitHost, child: ChildProcess): void {
  const fallback = (): void => void child.kill('SIGKILL')
  if (!child.pid) return fallback()
  const how = treeKill(host, child.pid)
  try {
    if (how.kind === 'process-group') return void process.kill(how.pid, how.signal)
    const killer = spawn(how.file, how.args, {
      stdio: 'ignore',
      windowsHide: true,
      env: gitEnvironment(host),
    })
    killer.once('error', fallback)
    killer.once('close', (code) => {
      if (code !== 0) fallback()
    })
  } catch {
    fallback()
  }
}

/**
 * macOS without the command line developer tools has a /usr/bin/git that only prints this (and opens
 * the installer's prompt); after an OS upgrade it may point at tools that are gone.
 */
const XCODE_STUB =
  /xcode-select: note: no developer tools were found|xcrun: error: invalid active developer path|xcode-select --install/i

export function xcodeStubError(stderr: string): AppError | undefined {
  if (!XCODE_STUB.test(stderr)) return undefined
  return new AppError(
    'git_failed',
    'Git needs Apple’s command line developer tools, which are not installed.',
    {
      hint: 'Run `xcode-select --install` in Terminal, finish the installation, then restart codex-sys.',
    },
  )
}

export function gitMissing(host: GitHost): AppError {
  return new AppError('git_failed', 'Git is not installed or not on PATH.', {
    hint:
      host.platform === 'darwin'
        ? 'Run `xcode-select --install` in Terminal (or install git from git-scm.com), then restart codex-sys.'
        : host.platform === 'win32'
          ? 'Install Git for Windows (git-scm.com) and restart codex-sys.'
          : 'Install git and restart codex-sys.',
  })
}
