import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { tempDir } from '../support/tmp'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const CALL = { 'content-type': 'application/json', 'x-codex-sys': '1' }
const SERVING = /codex-sys is serving (http:\/\/127\.0\.0\.1:\d+)\/(?:\?token=(\S+))?/

interface Serve {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>
  /** Waits for the "serving" line: the address (no slash) and the token it printed, if any. */
  serving: () => Promise<{ url: string; token: string | undefined }>
}

/**
 * `npx tsx src/main/cli/serve.ts …args` in its own process group (npx → tsx → node), with a clean
 * environment (no token, no keys); stopped with SIGTERM to the group when the test ends.
 */
function serve(args: string[], env: Record<string, string> = {}, shell?: string): Serve {
  const base: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(CODEX_SERVER_TOKEN|CODEX_DATA_DIR|OPENAI_API_KEY|GITHUB_TOKEN)$/.test(k))
      base[k] = v
  }
  const command = ['npx', 'tsx', 'src/main/cli/serve.ts', ...args]
  const child = shell
    ? spawn('sh', ['-c', `${shell}; exec "$@"`, 'sh', ...command], {
        cwd: REPO,
        env: { ...base, ...env },
        detached: true,
      })
    : spawn(command[0]!, command.slice(1), { cwd: REPO, env: { ...base, ...env }, detached: true })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let done = false
  void exited.then(() => (done = true))
  onTestFinished(async () => {
    if (done || child.pid === undefined) return
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {
      return
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    if (!done) process.kill(-child.pid, 'SIGKILL')
  })
  const serving = async (): Promise<{ url: string; token: string | undefined }> => {
    const started = Date.now()
    for (;;) {
      const match = SERVING.exec(out)
      if (match) return { url: match[1]!, token: match[2] && decodeURIComponent(match[2]) }
      if (done) throw new Error(`serve exited before serving:\n${out}\n${err}`)
      if (Date.now() - started > 90_000) throw new Error(`serve did not start:\n${out}\n${err}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return { child, stdout: () => out, stderr: () => err, exited, serving }
}

const list = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/call/tasks.list`, { method: 'POST', headers: { ...CALL, ...headers }, body: '{}' })

describe('npm run serve (the CLI)', () => {
  it('always requires a token: generated, printed as a ?token= address and written 0600 for scripts', async () => {
    const dataDir = join(await tempDir(), 'data')
    // Created under umask 000: the token file is still never readable by anyone else.
    const run = serve(['--port', '0', '--data-dir', dataDir], {}, 'umask 000')
    const { url, token } = await run.serving()
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)

    const tokenFile = join(dataDir, 'server-token')
    const info = await stat(tokenFile)
    expect(info.isFile()).toBe(true)
    expect((info.mode & 0o777).toString(8)).toBe('600')
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(token)
    expect(run.stdout()).toContain(tokenFile)
    expect(run.stdout()).toContain(`Authorization: Bearer $(cat ${tokenFile})`)
    expect((await readdir(dataDir)).filter((name) => name.includes('.tmp'))).toEqual([])

    const refused = await list(url)
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({ ok: false, error: { kind: 'auth_failed' } })
    expect((await fetch(`${url}/api/task/x/status`)).status).toBe(401)
    expect((await list(url, { authorization: `Bearer ${token}` })).status).toBe(200)
    expect((await list(url, { authorization: `Bearer ${await readFile(tokenFile, 'utf8')}` })).status).toBe(
      200,
    )
    const visit = await fetch(`${url}/?token=${token}`, { redirect: 'manual' })
    expect(visit.status).toBe(303)
    expect(visit.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/)
  })

  it('refuses --token on the command line, saying why and what to use instead', async () => {
    for (const args of [
      ['--token', 'a-token-on-the-command-line'],
      ['--token=a-token-on-the-command-line'],
      ['--token'],
    ]) {
      const dataDir = join(await tempDir(), 'data')
      const run = serve(['--port', '0', '--data-dir', dataDir, ...args])
      expect(await run.exited).toBe(2)
      expect(run.stderr()).toContain('--token is not accepted')
      expect(run.stderr()).toMatch(/visible to every user of this\s+machine \(ps/)
      expect(run.stderr()).toContain('CODEX_SERVER_TOKEN')
      expect(run.stderr()).toContain('--token-file PATH')
      expect(run.stdout()).not.toMatch(SERVING)
      expect(await readdir(dataDir).catch(() => [])).toEqual([])
    }
  })

  it('refuses --no-token on any address but loopback', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.2']) {
      const dataDir = join(await tempDir(), 'data')
      const run = serve(['--port', '0', '--data-dir', dataDir, '--host', host, '--no-token'])
      expect(await run.exited).toBe(2)
      expect(run.stderr()).toContain(`--no-token is refused on ${host}`)
      expect(run.stderr()).toContain('loopback (127.0.0.1)')
      expect(run.stdout()).not.toMatch(SERVING)
    }
  })

  it('serves without a token on loopback with --no-token, warning who can then use it', async () => {
    const dataDir = join(await tempDir(), 'data')
    const run = serve(['--port', '0', '--data-dir', dataDir, '--no-token'])
    const { url, token } = await run.serving()
    expect(token).toBeUndefined()
    const warning = run.stderr().replace(/\s+/g, ' ')
    expect(warning).toContain('WARNING: --no-token')
    expect(warning).toContain('Every process and every user on this machine can then use it')
    expect(warning).toContain('containers on Docker Desktop, through host.docker.internal')
    expect((await list(url)).status).toBe(200)
  })

  it('takes the token from CODEX_SERVER_TOKEN or a private --token-file, never a loose one', async () => {
    const root = await tempDir()
    const fromEnv = 'token-from-the-environment-0123'
    // A world-readable token file left over from before is replaced by a private one.
    await mkdir(join(root, 'a'))
    await writeFile(join(root, 'a', 'server-token'), 'stale-token-0123456789\n', { mode: 0o644 })
    const env = serve(['--port', '0', '--data-dir', join(root, 'a')], { CODEX_SERVER_TOKEN: fromEnv })
    const a = await env.serving()
    expect(a.token).toBe(fromEnv)
    expect((await readFile(join(root, 'a', 'server-token'), 'utf8')).trim()).toBe(fromEnv)
    expect((await stat(join(root, 'a', 'server-token'))).mode & 0o777).toBe(0o600)
    expect((await list(a.url, { authorization: `Bearer ${fromEnv}` })).status).toBe(200)

    const file = join(root, 'my-token')
    await writeFile(file, 'token-from-a-file-0123456789\n', { mode: 0o600 })
    // A link planted where the token file goes is replaced, never written through.
    const target = join(root, 'elsewhere')
    await writeFile(target, 'not yours\n')
    const bDir = join(root, 'b')
    await mkdir(bDir)
    await symlink(target, join(bDir, 'server-token'))
    const fromFile = serve(['--port', '0', '--data-dir', bDir, '--token-file', file])
    const b = await fromFile.serving()
    expect(b.token).toBe('token-from-a-file-0123456789')
    expect((await lstat(join(bDir, 'server-token'))).isFile()).toBe(true)
    expect((await stat(join(bDir, 'server-token'))).mode & 0o777).toBe(0o600)
    expect(await readFile(target, 'utf8')).toBe('not yours\n')

    await chmod(file, 0o644)
    const loose = serve(['--port', '0', '--data-dir', join(root, 'c'), '--token-file', file])
    expect(await loose.exited).toBe(2)
    expect(loose.stderr()).toContain('can be read or written by other users (mode 644)')
    expect(loose.stderr()).toContain(`chmod 600 '${file}'`)

    const both = serve(['--port', '0', '--data-dir', join(root, 'd'), '--token-file', file], {
      CODEX_SERVER_TOKEN: fromEnv,
    })
    expect(await both.exited).toBe(2)
    expect(both.stderr()).toContain('not both')
    const short = serve(['--port', '0', '--data-dir', join(root, 'e')], { CODEX_SERVER_TOKEN: 'short' })
    expect(await short.exited).toBe(2)
    expect(short.stderr()).toContain('16 to 512 visible ASCII characters')
  })
})
