import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { simpleGit, type SimpleGitProgressEvent } from 'simple-git'
import { AppError } from '../errors'
import { cloneError } from '../git/clone-errors'
import { runGit } from '../git/git'
import { currentHost, gitCommand, gitEnvironment, type GitHost, platformGitSettings } from '../git/git-host'
import { basicAuthHeader, redactSecrets } from '../git/redact'
import { validateBranch, validateGitUrl } from '../git/url-policy'
import { canSymlinkIn, linksAsFilesWarning } from './link-fallback'

export { validateGitUrl, validateBranch } from '../git/url-policy'

/**
 * Import from a Git URL: a hardened, shallow (by default) clone with simple-git into `dest`, whose
 * `.git` is then removed (the baseline in a separate git directory takes over). The clone runs the same
 * git, with the same platform environment and settings, as `runGit` (see git-host.ts).
 *
 * The token goes ONLY into a per-command `http.extraHeader` (GitHub style Basic x-access-token). It is
 * passed through GIT_CONFIG_COUNT/KEY/VALUE in the environment of that one git process rather than as a
 * `-c` argument: same scope as `-c`, but a process's environment is private to its user while its
 * command line is readable by every user of the machine. Never in the URL, never in `.git/config`.
 */
export interface ImportGitUrlOptions {
  url: string
  branch?: string
  token?: string
  dest: string
  allowLocalHttp: boolean
  /** Default 1 (shallow, single branch); 0 = full history. */
  depth?: number
  /** `progress` is a percentage 0..100 within `stage` (git's stages: remote, receiving, resolving, ...). */
  onProgress?: (p: { stage: string; progress: number }) => void
  signal?: AbortSignal
  /** Keep the clone's `.git` in `dest` (default false: the baseline's separate git directory takes over). */
  keepGitDir?: boolean
  /** The machine git runs for (platform, environment, home); default this process's. For tests. */
  host?: Partial<GitHost>
}

export interface ImportGitUrlResult {
  commit: string
  branch: string
  /** Symlinks checked out as files holding their target (git's core.symlinks=false): the disk has none. */
  linksAsFiles: string[]
  /** What the user should know about the checkout (shown on the task). */
  warnings: string[]
}

const CLONE_CONFIG = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'core.symlinks=true',
  'core.autocrlf=false',
  'protocol.file.allow=never',
  'protocol.ext.allow=never',
  'submodule.recurse=false',
  'credential.helper=',
  'core.askPass=',
]

/**
 * Settings that only make the clone faster, measured on a 30,000-file tree (bench/monorepo.ts):
 * - git's parallel checkout: the files are written by several `git checkout--worker` processes. The path
 *   checks stay git's own (the index is verified as before; each worker refuses a leading symlink and
 *   opens with O_EXCL; symlinks, submodules and colliding paths are left to the sequential writer).
 *   More workers than CPUs pays off: writing many small files waits on the disk more than on the CPU.
 * - no fsync of the received pack: the checkout's files are not synced either (git never syncs them),
 *   so a crash loses the import whatever the pack's state; syncing 150 MB alone took up to 20 s here.
 */
const SPEED_CONFIG = [`checkout.workers=${checkoutWorkers()}`, 'core.fsync=none']

function checkoutWorkers(): number {
  return Math.min(16, Math.max(4, availableParallelism()))
}

const ALLOWED_ENV = [
  'GIT_TERMINAL_PROMPT',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_KEY_0',
  'GIT_CONFIG_VALUE_0',
  'GIT_SSH_COMMAND',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
]

export async function importGitUrl(opts: ImportGitUrlOptions): Promise<ImportGitUrlResult> {
  // Everything is checked before anything touches the disk or git runs.
  const url = validateGitUrl(opts.url, { allowLocalHttp: opts.allowLocalHttp })
  const branch = opts.branch === undefined || opts.branch === '' ? undefined : validateBranch(opts.branch)
  const depth = opts.depth ?? 1
  if (!Number.isInteger(depth) || depth < 0)
    throw new AppError('invalid_input', 'The clone depth must be 0 or more.')
  if (opts.signal?.aborted) throw cancelled()
  const dest = resolve(opts.dest)
  const secrets = opts.token ? [opts.token] : []
  const redact = (text: string): string => redactSecrets(text, secrets)
  const host: GitHost = { ...currentHost(), ...opts.host }
  const createdDest = await prepareDest(dest)

  try {
    // Where symlinks cannot be made (FAT, Windows without Developer Mode), git checks them out as files
    // holding their target instead of failing the checkout.
    const symlinks = await canSymlinkIn(dirname(dest))
    await clone({
      url,
      branch,
      depth,
      dest,
      symlinks,
      host,
      token: opts.token,
      signal: opts.signal,
      onProgress: opts.onProgress,
    })
    const [commit, head] = await Promise.all([
      headCommit(dest, host),
      runGit(['symbolic-ref', '-q', '--short', 'HEAD'], { cwd: dest, host, successExitCodes: [0, 1] }),
      assertNoCredentialsStored(dest, opts.token),
    ])
    const checkedOut = head.exitCode === 0 ? head.stdout.trim() : (branch ?? '')
    const linksAsFiles = symlinks ? [] : await trackedSymlinks(dest, host)
    if (!opts.keepGitDir) await rm(join(dest, '.git'), { recursive: true, force: true })
    const warnings = linksAsFiles.length ? [linksAsFilesWarning(linksAsFiles, 'The workspace disk')] : []
    return { commit, branch: checkedOut, linksAsFiles, warnings }
  } catch (err) {
    await cleanDest(dest, createdDest)
    if (opts.signal?.aborted) throw cancelled()
    if (err instanceof AppError) throw err
    const text = redact(err instanceof Error ? err.message : String(err))
    throw cloneError(text, { url: redact(url), branch, hasToken: Boolean(opts.token) })
  }
}

interface CloneArgs {
  url: string
  branch?: string
  depth: number
  dest: string
  /** Whether the destination can hold symlinks (else core.symlinks=false). */
  symlinks: boolean
  host: GitHost
  token?: string
  signal?: AbortSignal
  onProgress?: ImportGitUrlOptions['onProgress']
}

const headCommit = async (dest: string, host: GitHost): Promise<string> =>
  (await runGit(['rev-parse', 'HEAD'], { cwd: dest, host })).stdout.trim()

/** The paths HEAD records as symlinks (mode 120000). */
async function trackedSymlinks(dest: string, host: GitHost): Promise<string[]> {
  const listed = await runGit(['ls-files', '-s', '-z'], { cwd: dest, host })
  return listed.stdout
    .split('\0')
    .filter((line) => line.startsWith('120000 '))
    .map((line) => line.slice(line.indexOf('\t') + 1))
}

async function clone(a: CloneArgs): Promise<void> {
  const env: Record<string, string> = {
    // The platform's variables (on Windows SystemRoot, TEMP, the profile folders…), PATH, the ssh agent,
    // HOME at the user's home (ssh:// and git@ URLs need their keys), GIT_CONFIG_NOSYSTEM=1 and
    // GIT_CONFIG_GLOBAL=/dev/null (none of the user's or the system's git configuration).
    ...gitEnvironment(a.host),
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
  }
  if (a.token) {
    env.GIT_CONFIG_COUNT = '1'
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader'
    env.GIT_CONFIG_VALUE_0 = basicAuthHeader(a.token)
  }
  const config = a.symlinks
    ? CLONE_CONFIG
    : CLONE_CONFIG.map((kv) => kv.replace(/^core\.symlinks=true$/, 'core.symlinks=false'))
  const git = simpleGit({
    baseDir: dirname(a.dest),
    // On Windows the full path runGit starts (never a git.exe in the working directory).
    binary: gitCommand(a.host),
    config: [...config, ...SPEED_CONFIG, ...platformGitSettings(a.host)],
    abort: a.signal,
    allowEnvironment: ALLOWED_ENV,
    unsafe: {
      allowUnsafeHooksPath: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeAskPass: true,
      allowUnsafeSshCommand: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeTemplateDir: true,
      // The binary is our own PATH lookup, not input; its path may hold spaces (C:\Program Files\Git).
      allowUnsafeCustomBinary: true,
    },
    progress: (p: SimpleGitProgressEvent) => {
      a.onProgress?.({ stage: p.stage.replace(/:$/, ''), progress: Math.max(0, Math.min(100, p.progress)) })
    },
  }).env(env)

  const args = ['--template=', '--no-recurse-submodules', '--progress']
  if (a.depth > 0) args.push('--depth', String(a.depth), '--single-branch', '--no-tags')
  if (a.branch) args.push('--branch', a.branch)
  await git.clone(a.url, a.dest, args)
}

/** git clone needs an empty or missing directory; returns whether we created it. */
async function prepareDest(dest: string): Promise<boolean> {
  const entries = await readdir(dest).catch((e: unknown) => {
    if ((e as { code?: unknown }).code === 'ENOENT') return null
    throw e
  })
  if (entries === null) {
    await mkdir(dirname(dest), { recursive: true })
    return true
  }
  if (entries.length > 0) {
    throw new AppError('conflict', 'The destination folder for the clone is not empty.', {
      details: { dest },
    })
  }
  return false
}

async function cleanDest(dest: string, created: boolean): Promise<void> {
  if (created) {
    await rm(dest, { recursive: true, force: true })
    return
  }
  const entries = await readdir(dest).catch(() => [] as string[])
  await Promise.all(entries.map((e) => rm(join(dest, e), { recursive: true, force: true })))
}

async function assertNoCredentialsStored(dest: string, token: string | undefined): Promise<void> {
  const config = await readFile(join(dest, '.git', 'config'), 'utf8')
  const leaked = /extraheader/i.test(config) || (token ? redactSecrets(config, [token]) !== config : false)
  if (leaked) {
    throw new AppError('internal', 'Credentials were written into the cloned repository configuration.', {
      hint: 'Please report this bug; the clone was discarded.',
    })
  }
}

function cancelled(): AppError {
  return new AppError('cancelled', 'The clone was cancelled.')
}
