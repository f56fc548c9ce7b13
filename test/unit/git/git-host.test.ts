import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { runGit } from '../../../src/main/git/git'
import { gitCommand, gitEnvironment, treeKill, WINDOWS_ENV } from '../../../src/main/git/git-host'
import { tempDir } from '../../support/tmp'

/** A Windows process's environment as Node shows it (Path, not PATH), plus something private. */
const windowsEnv = (bin: string): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(WINDOWS_ENV.map((name) => [name, `value-of-${name}`])),
  SystemRoot: 'C:\\Windows',
  Path: `relative\\bin;${bin};C:\\Windows\\System32`,
  OPENAI_API_KEY: 'sk-private',
  GIT_DIR: 'C:\\elsewhere',
})

async function script(path: string, body: string): Promise<string> {
  await writeFile(path, `#!/bin/sh\n${body}\n`)
  await chmod(path, 0o755)
  return path
}

/** A stand-in git that records its arguments and environment, then does `then`. */
async function recordingGit(dir: string, name: string, then = 'exit 0'): Promise<string> {
  return script(
    join(dir, name),
    `for a in "$@"; do printf '%s\\n' "$a"; done > "${dir}/args"\n/usr/bin/env > "${dir}/env"\necho $$ > "${dir}/pid"\n${then}`,
  )
}

const envLines = async (dir: string): Promise<Record<string, string>> =>
  Object.fromEntries(
    (await readFile(join(dir, 'env'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )

describe('the environment host git gets', () => {
  it('on Windows: SystemRoot, TEMP, the profile folders, PATHEXT, ComSpec…, HOME at the user’s home', () => {
    const env = gitEnvironment({ platform: 'win32', env: windowsEnv('C:\\Git\\cmd'), home: 'C:\\Users\\ann' })
    for (const name of WINDOWS_ENV) expect(env[name], name).toBeDefined()
    expect(env).toMatchObject({
      SystemRoot: 'C:\\Windows',
      TEMP: 'value-of-TEMP',
      TMP: 'value-of-TMP',
      USERPROFILE: 'value-of-USERPROFILE',
      LOCALAPPDATA: 'value-of-LOCALAPPDATA',
      PATHEXT: 'value-of-PATHEXT',
      ComSpec: 'value-of-ComSpec',
      PATH: 'relative\\bin;C:\\Git\\cmd;C:\\Windows\\System32',
      HOME: 'C:\\Users\\ann',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
    })
    expect(env.OPENAI_API_KEY).toBeUndefined()
    expect(env.GIT_DIR).toBeUndefined()
  })

  it('finds Windows variables whatever their case (SYSTEMROOT, Path)', () => {
    const env = gitEnvironment({
      platform: 'win32',
      env: { SYSTEMROOT: 'C:\\Windows', temp: 'C:\\Tmp', Path: 'C:\\Git\\cmd' },
      home: 'C:\\Users\\ann',
    })
    expect(env).toMatchObject({ SystemRoot: 'C:\\Windows', TEMP: 'C:\\Tmp', PATH: 'C:\\Git\\cmd' })
  })

  for (const platform of ['darwin', 'linux'] as const) {
    it(`on ${platform}: PATH, TMPDIR, the ssh agent and HOME, and no Windows variables`, () => {
      const env = gitEnvironment({
        platform,
        env: {
          PATH: '/opt/homebrew/bin:/usr/bin',
          TMPDIR: '/var/folders/x/T/',
          SSH_AUTH_SOCK: '/tmp/agent.sock',
          SystemRoot: 'C:\\Windows',
          GITHUB_TOKEN: 'ghp_private',
        },
        home: '/Users/ann',
      })
      expect(env).toEqual({
        PATH: '/opt/homebrew/bin:/usr/bin',
        TMPDIR: '/var/folders/x/T/',
        SSH_AUTH_SOCK: '/tmp/agent.sock',
        HOME: '/Users/ann',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_CONFIG_NOSYSTEM: '1',
      })
    })
  }
})

describe('killing git with what it started', () => {
  it('uses taskkill /T /F on Windows and the process group elsewhere', () => {
    const win = { platform: 'win32' as const, env: { SystemRoot: 'C:\\Windows' }, home: 'C:\\Users\\ann' }
    expect(treeKill(win, 4242)).toMatchObject({ kind: 'command', args: ['/T', '/F', '/PID', '4242'] })
    expect(treeKill(win, 4242).kind === 'command' && treeKill(win, 4242)).toMatchObject({
      file: expect.stringMatching(/^C:\\Windows[\\/]System32[\\/]taskkill\.exe$/),
    })
    for (const platform of ['darwin', 'linux'] as const) {
      expect(treeKill({ platform, env: {}, home: '/home/ann' }, 4242)).toEqual({
        kind: 'process-group',
        pid: -4242,
        signal: 'SIGKILL',
      })
    }
  })

  it('on POSIX, cancelling kills the grandchildren git started too', async () => {
    const dir = await tempDir('codex-git-kill-')
    await runGit(['init', '-q'], { cwd: dir })
    const pidFile = join(dir, 'grandchild')
    const controller = new AbortController()
    const pending = runGit(['-c', `alias.nap=!sleep 30 & echo $! > '${pidFile}'; wait`, 'nap'], {
      cwd: dir,
      signal: controller.signal,
    })
    let pid = 0
    while (!pid) {
      await new Promise((r) => setTimeout(r, 20))
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
    }
    controller.abort()
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' })
    // Gone, or a zombie waiting for its new parent to reap it: either way no longer running.
    const alive = async (): Promise<boolean> => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
      return stat !== '' && !/^\d+ \(.*\) Z/.test(stat)
    }
    for (let i = 0; i < 100 && (await alive()); i++) await new Promise((r) => setTimeout(r, 20))
    expect(await alive()).toBe(false)
  })
})

describe('runGit on a Windows host (simulated on this machine)', () => {
  it('starts git.exe from PATH by full path, never one in the working directory, with core.longpaths', async () => {
    const bin = await tempDir('codex-win-bin-')
    const repoDir = await tempDir('codex-win-repo-')
    await recordingGit(bin, 'git.exe')
    await script(join(repoDir, 'git.exe'), `touch "${repoDir}/planted-git-ran"`)
    const res = await runGit(['status'], {
      cwd: repoDir,
      host: { platform: 'win32', env: windowsEnv(bin), home: 'C:\\Users\\ann' },
    })
    expect(res.exitCode).toBe(0)
    const args = (await readFile(join(bin, 'args'), 'utf8')).split('\n')
    expect(args.slice(-2)).toEqual(['status', ''])
    expect(args.join(' ')).toContain('-c core.longpaths=true')
    const env = await envLines(bin)
    expect(env).toMatchObject({
      SystemRoot: 'C:\\Windows',
      TEMP: 'value-of-TEMP',
      USERPROFILE: 'value-of-USERPROFILE',
      HOME: 'C:\\Users\\ann',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
    })
    expect(env.OPENAI_API_KEY).toBeUndefined()
    await expect(readFile(join(repoDir, 'planted-git-ran'))).rejects.toThrow()
  })

  it('cancels with taskkill /T /F /PID <git’s pid>', async () => {
    const bin = await tempDir('codex-win-bin-')
    const root = await tempDir('codex-win-root-')
    await mkdir(join(root, 'System32'))
    await script(
      join(root, 'System32', 'taskkill.exe'),
      `for a in "$@"; do printf '%s\\n' "$a"; done > "${root}/taskkill-args"\nkill -9 "$4"`,
    )
    await recordingGit(bin, 'git.exe', 'exec /bin/sleep 30')
    const controller = new AbortController()
    const pending = runGit(['fetch'], {
      signal: controller.signal,
      host: { platform: 'win32', env: { ...windowsEnv(bin), SystemRoot: root }, home: 'C:\\Users\\ann' },
    })
    let pid = ''
    while (!pid) {
      await new Promise((r) => setTimeout(r, 20))
      pid = (await readFile(join(bin, 'pid'), 'utf8').catch(() => '')).trim()
    }
    controller.abort()
    await expect(pending).rejects.toMatchObject({ kind: 'cancelled' })
    let recorded = ''
    for (let i = 0; i < 100 && !recorded; i++) {
      await new Promise((r) => setTimeout(r, 20))
      recorded = await readFile(join(root, 'taskkill-args'), 'utf8').catch(() => '')
    }
    expect(recorded.trim().split('\n')).toEqual(['/T', '/F', '/PID', pid])
  })

  it('says git is missing when no PATH entry holds git.exe (relative entries are not searched)', async () => {
    const host = { platform: 'win32' as const, env: { Path: 'tools;C:\\Nothing' }, home: 'C:\\Users\\ann' }
    expect(() => gitCommand(host, (p) => p === join('tools', 'git.exe'))).toThrow(/Git is not installed/)
    expect(gitCommand(host, (p) => p === join('C:\\Nothing', 'git.cmd'))).toBe(join('C:\\Nothing', 'git.cmd'))
    expect(gitCommand({ ...host, platform: 'linux' })).toBe('git')
  })
})

describe('macOS without the developer tools', () => {
  const stubs = {
    'no developer tools': [
      'xcode-select: note: No developer tools were found, requesting install.',
      'If developer tools are located at a non-default location on disk, use `sudo xcode-select --switch path`, specifying the Xcode that you wish to use for command line developer tools, and cancel the installation dialog.',
    ],
    'a stale developer path': [
      'xcrun: error: invalid active developer path (/Library/Developer/CommandLineTools), missing xcrun at: /Library/Developer/CommandLineTools/usr/bin/xcrun',
    ],
  }
  for (const [what, lines] of Object.entries(stubs)) {
    it(`tells the user to run xcode-select --install (${what})`, async () => {
      const bin = await tempDir('codex-mac-stub-')
      await script(
        join(bin, 'git'),
        `${lines.map((l) => `echo '${l.replace(/'/g, '')}' >&2`).join('\n')}\nexit 1`,
      )
      const host = { platform: 'darwin' as const, env: { PATH: `${bin}:/usr/bin:/bin` }, home: bin }
      for (const successExitCodes of [[0], [0, 1]]) {
        const err = await runGit(['--version'], { host, successExitCodes }).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(AppError)
        expect((err as AppError).kind).toBe('git_failed')
        expect((err as AppError).message).toMatch(/command line developer tools/)
        expect((err as AppError).hint).toMatch(/xcode-select --install/)
      }
    })
  }

  it('no git at all on macOS points at xcode-select too', async () => {
    const empty = await tempDir('codex-mac-empty-')
    const err = await runGit(['--version'], {
      host: { platform: 'darwin', env: { PATH: empty }, home: empty },
    }).catch((e: unknown) => e)
    expect((err as AppError).hint).toMatch(/xcode-select --install/)
  })
})

describe('HOME is the user’s, their git configuration is not', () => {
  it('ignores ~/.gitconfig, ~/.config/git/config and ~/.config/git/ignore', async () => {
    const home = await tempDir('codex-home-')
    await mkdir(join(home, '.config', 'git'), { recursive: true })
    await writeFile(join(home, '.gitconfig'), '[alias]\n\tmine = !echo from-gitconfig\n')
    await writeFile(join(home, '.config', 'git', 'config'), '[alias]\n\txdg = !echo from-xdg\n')
    await writeFile(join(home, '.config', 'git', 'ignore'), '*.txt\n')
    const dir = await tempDir('codex-home-repo-')
    const host = { home }
    await runGit(['init', '-q'], { cwd: dir, host })
    await writeFile(join(dir, 'a.txt'), 'a\n')
    expect((await runGit(['status', '--porcelain'], { cwd: dir, host })).stdout).toContain('a.txt')
    for (const alias of ['mine', 'xdg']) {
      await expect(runGit([alias], { cwd: dir, host })).rejects.toThrow(/not a git command/)
    }
    const env = (await runGit(['-c', 'alias.env=!env', 'env'], { cwd: dir, host })).stdout
    expect(env).toMatch(new RegExp(`^HOME=${home}$`, 'm'))
  })
})
