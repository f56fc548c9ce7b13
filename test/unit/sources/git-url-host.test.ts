import { spawnSync } from 'node:child_process'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WINDOWS_ENV } from '../../../src/main/git/git-host'
import { importGitUrl } from '../../../src/main/sources/git-url'
import { startGitServer, type GitServer } from '../../support/git-server'
import { tempDir } from '../../support/tmp'

/**
 * The clone runs the git runGit runs, with the same environment and platform settings: checked on this
 * machine by injecting another platform, whose git is a stand-in that records what it was given and then
 * runs the real git (so the clone really happens, against a local server).
 */
let server: GitServer
let repoUrl: string
const realGit = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim()

beforeAll(async () => {
  server = await startGitServer()
  repoUrl = await server.createRepo('app', { 'README.md': '# app\n' })
})
afterAll(async () => {
  await server?.close()
})

/**
 * A git that records the arguments and environment of `git clone`, then runs the real git. The
 * environment is read from /proc, as the process was given it: the shell drops names it cannot hold
 * (`ProgramFiles(x86)`) from what it passes on.
 */
async function standInGit(bin: string, name: string): Promise<void> {
  const record = `for b in "$@"; do printf '%s\\n' "$b"; done > "${bin}/clone-args"; /usr/bin/tr '\\0' '\\n' < /proc/$$/environ > "${bin}/clone-env"`
  const body = `for a in "$@"; do if [ "$a" = clone ]; then ${record}; fi; done\nexec "${realGit}" "$@"`
  await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`)
  await chmod(join(bin, name), 0o755)
}

interface Recorded {
  args: string[]
  env: Record<string, string>
}

async function recorded(bin: string): Promise<Recorded> {
  const args = (await readFile(join(bin, 'clone-args'), 'utf8')).split('\n').slice(0, -1)
  const env = Object.fromEntries(
    (await readFile(join(bin, 'clone-env'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  )
  return { args, env }
}

/** A home whose git configuration, if read, sends the clone to a port nothing listens on. */
async function userHome(): Promise<string> {
  const home = await tempDir('codex-clone-home-')
  const redirect = `[url "http://127.0.0.1:9/"]\n\tinsteadOf = ${server.baseUrl}/\n`
  await writeFile(join(home, '.gitconfig'), redirect)
  await mkdir(join(home, '.config', 'git'), { recursive: true })
  await writeFile(join(home, '.config', 'git', 'config'), redirect)
  return home
}

describe('the clone on a Windows host (simulated on this machine)', () => {
  it('gets the Windows variables, HOME at the user’s home, core.longpaths, and not ~/.gitconfig', async () => {
    const bin = await tempDir('codex-clone-bin-')
    await standInGit(bin, 'git.exe')
    const home = await userHome()
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(WINDOWS_ENV.map((name) => [name, `value-of-${name}`])),
      SystemRoot: 'C:\\Windows',
      Path: `relative\\bin;${bin};C:\\Windows\\System32`,
      OPENAI_API_KEY: 'sk-private',
    }
    const dest = join(await tempDir('codex-clone-ws-'), 'ws')
    const result = await importGitUrl({
      url: repoUrl,
      dest,
      allowLocalHttp: true,
      host: { platform: 'win32', env, home },
    })
    expect(result.branch).toBe('main')
    // The user's configuration would have sent git to 127.0.0.1:9.
    expect(await readFile(join(dest, 'README.md'), 'utf8')).toBe('# app\n')

    const clone = await recorded(bin)
    for (const name of WINDOWS_ENV) expect(clone.env[name], name).toBeDefined()
    expect(clone.env).toMatchObject({
      SystemRoot: 'C:\\Windows',
      TEMP: 'value-of-TEMP',
      TMP: 'value-of-TMP',
      USERPROFILE: 'value-of-USERPROFILE',
      PATH: `relative\\bin;${bin};C:\\Windows\\System32`,
      HOME: home,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
    })
    expect(clone.env.OPENAI_API_KEY).toBeUndefined()
    const settings = clone.args.filter((_, i) => clone.args[i - 1] === '-c')
    expect(settings).toContain('core.longpaths=true')
    // The clone's own hardening is all still there.
    expect(settings).toEqual(
      expect.arrayContaining([
        'core.hooksPath=/dev/null',
        'protocol.file.allow=never',
        'protocol.ext.allow=never',
        'credential.helper=',
        'core.askPass=',
      ]),
    )
    expect(clone.args.slice(-2)).toEqual([repoUrl, dest])
  })
})

describe('the clone on a POSIX host', () => {
  it('gets PATH, TMPDIR and HOME, no Windows variables and no core.longpaths', async () => {
    const bin = await tempDir('codex-clone-bin-')
    await standInGit(bin, 'git')
    const home = await userHome()
    const dest = join(await tempDir('codex-clone-ws-'), 'ws')
    await importGitUrl({
      url: repoUrl,
      dest,
      allowLocalHttp: true,
      host: {
        platform: 'darwin',
        env: { PATH: `${bin}:/usr/bin:/bin`, TMPDIR: '/var/folders/x/T/', SystemRoot: 'C:\\Windows' },
        home,
      },
    })
    expect(await readFile(join(dest, 'README.md'), 'utf8')).toBe('# app\n')
    const clone = await recorded(bin)
    expect(clone.env).toMatchObject({
      TMPDIR: '/var/folders/x/T/',
      HOME: home,
      GIT_CONFIG_GLOBAL: '/dev/null',
    })
    expect(clone.env.SystemRoot).toBeUndefined()
    expect(clone.args).not.toContain('core.longpaths=true')
  })
})
