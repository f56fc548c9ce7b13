import { chmod, mkdir, readFile, readdir, writeFile, access } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { GitError, GIT_IDENTITY, gitFailed, runGit } from '../../../src/main/git/git'
import { tempDir } from '../../support/tmp'

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  )

/** Checks `done` every 20 ms until it holds or `ms` have passed. */
async function waitUntil(ms: number, done: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() < until && !(await done())) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** Pids of running processes (zombies excluded: they no longer run) whose argv is exactly `argv`. */
async function runningWithArgv(argv: string[]): Promise<number[]> {
  const wanted = argv.join('\0') + '\0'
  const pids: number[] = []
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    if ((await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')) !== wanted) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    if (stat && !/^\d+ \(.*\) Z/.test(stat)) pids.push(Number(name))
  }
  return pids
}

async function repo(): Promise<string> {
  const dir = await tempDir('codex-git-')
  await runGit(['init', '-q'], { cwd: dir })
  return dir
}

describe('runGit', () => {
  it('runs git and returns stdout, stderr and the exit code', async () => {
    const res = await runGit(['--version'])
    expect(res.exitCode).toBe(0)
    expect(res.stdout).toMatch(/^git version \d+\.\d+/)
    expect(res.stdoutBuffer?.toString()).toBe(res.stdout)
  })

  it('throws GitError with args, exit code and stderr on an unexpected exit code', async () => {
    const dir = await repo()
    const err = await runGit(['rev-parse', '--verify', 'no-such-ref'], { cwd: dir }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GitError)
    const gitErr = err as GitError
    expect(gitErr.exitCode).toBe(128)
    expect(gitErr.args).toEqual(['rev-parse', '--verify', 'no-such-ref'])
    expect(gitErr.stderr).toContain('fatal')
    expect(gitErr.message).toContain('git rev-parse failed with exit code 128')
  })

  it('accepts the exit codes the caller expects', async () => {
    const dir = await repo()
    const res = await runGit(['rev-parse', '--verify', '-q', 'nope'], { cwd: dir, successExitCodes: [0, 1] })
    expect(res.exitCode).toBe(1)
    await expect(runGit(['rev-parse', '--verify', '-q', 'nope'], { cwd: dir })).rejects.toBeInstanceOf(
      GitError,
    )
  })

  it('feeds input on stdin', async () => {
    const dir = await repo()
    const res = await runGit(['hash-object', '-w', '--stdin'], { cwd: dir, input: 'hello\n' })
    expect(res.stdout.trim()).toBe('ce013625030ba8dba906f756967f9e9ca394464a')
  })

  it('collects outputs far beyond 1 MB', async () => {
    const dir = await repo()
    const big = Buffer.alloc(5 * 1024 * 1024, 'x')
    const sha = (await runGit(['hash-object', '-w', '--stdin'], { cwd: dir, input: big })).stdout.trim()
    const res = await runGit(['cat-file', 'blob', sha], { cwd: dir })
    expect(res.stdoutBuffer?.length).toBe(big.length)
  })

  it('fails when stdout goes over maxBuffer', async () => {
    const dir = await repo()
    const sha = (
      await runGit(['hash-object', '-w', '--stdin'], { cwd: dir, input: 'y'.repeat(100_000) })
    ).stdout.trim()
    await expect(runGit(['cat-file', 'blob', sha], { cwd: dir, maxBuffer: 1000 })).rejects.toThrow(/exceeded/)
  })

  it('never runs hooks, whether in .git/hooks or a configured hooksPath', async () => {
    const dir = await repo()
    const marker = join(dir, 'hook-ran')
    const hook = `#!/bin/sh\necho ran > "${marker}"\n`
    for (const name of ['pre-commit', 'commit-msg', 'post-commit']) {
      await writeFile(join(dir, '.git', 'hooks', name), hook)
      await chmod(join(dir, '.git', 'hooks', name), 0o755)
    }
    await mkdir(join(dir, 'evil-hooks'))
    await writeFile(join(dir, 'evil-hooks', 'pre-commit'), hook)
    await chmod(join(dir, 'evil-hooks', 'pre-commit'), 0o755)
    await writeFile(join(dir, 'a.txt'), 'a\n')
    await runGit(['add', 'a.txt'], { cwd: dir })
    await runGit(['commit', '-q', '-m', 'one'], { cwd: dir })
    expect(await exists(marker)).toBe(false)
    // A repository-local hooksPath is overridden too.
    await runGit(['config', 'core.hooksPath', join(dir, 'evil-hooks')], { cwd: dir })
    await runGit(['commit', '-q', '--allow-empty', '-m', 'two'], { cwd: dir })
    expect(await exists(marker)).toBe(false)
  })

  it('never runs a configured fsmonitor', async () => {
    const dir = await repo()
    const marker = join(dir, 'fsmonitor-ran')
    await writeFile(join(dir, 'monitor.sh'), `#!/bin/sh\necho ran > "${marker}"\n`)
    await chmod(join(dir, 'monitor.sh'), 0o755)
    await runGit(['config', 'core.fsmonitor', join(dir, 'monitor.sh')], { cwd: dir })
    await runGit(['status', '--porcelain'], { cwd: dir })
    expect(await exists(marker)).toBe(false)
  })

  it('does not pass the parent environment and uses a fixed identity', async () => {
    const dir = await repo()
    process.env.CODEX_TEST_SECRET = 'do-not-leak-me'
    try {
      // A shell alias prints the environment git was given.
      const res = await runGit(['-c', 'alias.env=!env', 'env'], { cwd: dir, env: { EXTRA_VAR: 'given' } })
      expect(res.stdout).not.toContain('do-not-leak-me')
      expect(res.stdout).toContain('EXTRA_VAR=given')
      expect(res.stdout).toContain('GIT_CONFIG_NOSYSTEM=1')
      expect(res.stdout).toContain('GIT_TERMINAL_PROMPT=0')
      // HOME is the user's (ssh finds its keys); their git config is kept out by GIT_CONFIG_GLOBAL.
      expect(res.stdout).toContain('GIT_CONFIG_GLOBAL=/dev/null')
    } finally {
      delete process.env.CODEX_TEST_SECRET
    }
    const ident = await runGit(['var', 'GIT_AUTHOR_IDENT'], { cwd: dir })
    expect(ident.stdout).toContain(`${GIT_IDENTITY.name} <${GIT_IDENTITY.email}>`)
  })

  it('refuses the file protocol', async () => {
    const src = await repo()
    await runGit(['commit', '-q', '--allow-empty', '-m', 'x'], { cwd: src })
    const dest = join(await tempDir(), 'clone')
    const err = await runGit(['clone', '-q', `file://${src}`, dest]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GitError)
    expect((err as GitError).stderr).toMatch(/transport 'file' not allowed/)
  })

  it('works with a git directory outside the work tree', async () => {
    const work = await tempDir()
    const gitDir = join(await tempDir(), 'g')
    await runGit(['init', '-q'], { gitDir, workTree: work })
    await writeFile(join(work, 'f.txt'), 'f\n')
    await runGit(['add', '-A'], { cwd: work, gitDir, workTree: work })
    const res = await runGit(['ls-files'], { cwd: work, gitDir, workTree: work })
    expect(res.stdout.trim()).toBe('f.txt')
    expect(await exists(join(work, '.git'))).toBe(false)
    expect(await readFile(join(gitDir, 'HEAD'), 'utf8')).toContain('ref:')
  })

  it('kills git and what it started when the signal aborts, and reports cancellation', async () => {
    const dir = await repo()
    const controller = new AbortController()
    // A shell alias with a foreground and a background child: git -> sh -> sleep (twice). The duration is
    // unique to this run, so the sleeps can be found in /proc whatever else runs on the machine.
    const seconds = `30.${process.pid}${Date.now() % 1000}`
    const pending = runGit(['-c', `alias.nap=!sleep ${seconds} & sleep ${seconds}; wait`, 'nap'], {
      cwd: dir,
      signal: controller.signal,
    })
    pending.catch(() => undefined)
    const sleeps = async (): Promise<number[]> => runningWithArgv(['sleep', seconds])
    // Should the kill miss them, they are this test's own: do not leave them behind.
    onTestFinished(async () => {
      for (const pid of await sleeps()) process.kill(pid, 'SIGKILL')
    })
    await waitUntil(5_000, async () => (await sleeps()).length === 2)
    expect(await sleeps()).toHaveLength(2)
    const started = Date.now()
    controller.abort()
    const err = await pending.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).kind).toBe('cancelled')
    expect(Date.now() - started).toBeLessThan(10_000)
    // Both sleeps are gone (killed with git's process group), not left running for 30 s.
    await waitUntil(2_000, async () => (await sleeps()).length === 0)
    expect(await sleeps()).toEqual([])
  })

  it('redacts secrets from GitError and maps it to AppError git_failed', async () => {
    const dir = await repo()
    const token = 'ghp_supersecrettoken123'
    const err = await runGit(['rev-parse', '--verify', `refs/${token}`], {
      cwd: dir,
      secrets: [token],
    }).catch((e: unknown) => e as GitError)
    expect(err).toBeInstanceOf(GitError)
    expect(
      JSON.stringify({
        m: (err as GitError).message,
        a: (err as GitError).args,
        s: (err as GitError).stderr,
      }),
    ).not.toContain(token)
    const app = gitFailed(err, 'Could not read the ref')
    expect(app.kind).toBe('git_failed')
    expect(app.message).toMatch(/^Could not read the ref: fatal/)
    expect(app.message).not.toContain(token)
  })
})
