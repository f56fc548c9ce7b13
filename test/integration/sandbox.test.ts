import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { checkDocker, createDockerClient } from '../../src/main/docker/client'
import {
  giveWorkspaceTo,
  listTaskContainers,
  removeTaskContainers,
  Sandbox,
  sandboxUser,
  type SandboxSpec,
} from '../../src/main/docker/sandbox'
import { AppError } from '../../src/main/errors'
import { requireDocker, startEngineRelay, testImage } from '../support/docker'
import { tempDir } from '../support/tmp'

const rand = (): string => randomBytes(4).toString('hex')
const errorOf = (p: Promise<unknown>): Promise<AppError> =>
  p.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e as AppError,
  )

let docker: Docker
beforeAll(async () => {
  docker = await requireDocker()
})

async function workspaceDir(): Promise<string> {
  const dir = await tempDir('codex-sandbox-')
  await giveWorkspaceTo(dir, sandboxUser())
  return dir
}

const specFor = (workspace: string, over: Partial<SandboxSpec> = {}): SandboxSpec => ({
  taskId: `test-sandbox-${rand()}`,
  image: testImage(),
  workspace,
  memoryMb: 256,
  cpus: 1,
  pidsLimit: 128,
  tmpfsMb: 256,
  network: { kind: 'none' },
  ...over,
})

describe('a hardened task container (one shared container)', () => {
  const secrets = { OPENAI_API_KEY: `sk-${rand()}${rand()}`, GITHUB_TOKEN: `ghp_${rand()}${rand()}` }
  let sandbox: Sandbox
  let workspace: string

  beforeAll(async () => {
    vi.stubEnv('OPENAI_API_KEY', secrets.OPENAI_API_KEY)
    vi.stubEnv('GITHUB_TOKEN', secrets.GITHUB_TOKEN)
    workspace = await mkdtemp(join(tmpdir(), 'codex-sandbox-'))
    await giveWorkspaceTo(workspace, sandboxUser())
    sandbox = await Sandbox.create(docker, specFor(workspace))
  })
  afterAll(async () => {
    vi.unstubAllEnvs()
    await sandbox?.remove()
    await rm(workspace, { recursive: true, force: true })
  })

  const sh = (script: string, opts = {}) => sandbox.exec(['sh', '-c', script], opts)

  it('runs as a non-root user with no capabilities and no-new-privileges', async () => {
    const id = await sh('id -u; id -g')
    expect(id.stdout.trim().split('\n')).toEqual([String(sandboxUser().uid), String(sandboxUser().gid)])
    const status = await sh('grep -E "^(CapEff|CapPrm|NoNewPrivs)" /proc/self/status')
    expect(status.stdout).toMatch(/CapEff:\s+0000000000000000/)
    expect(status.stdout).toMatch(/CapPrm:\s+0000000000000000/)
    expect(status.stdout).toMatch(/NoNewPrivs:\s+1/)
  })

  it('has a read-only root, writable /tmp and HOME, and a /workspace whose files stay the user’s', async () => {
    const ro = await sh('touch /etc/x /usr/x /x')
    expect(ro.exitCode).not.toBe(0)
    expect(ro.stderr).toMatch(/Read-only file system/)
    const rw = await sh('touch /tmp/a "$HOME/b" && echo hi > /workspace/out.txt && echo "$HOME"')
    expect(rw).toMatchObject({ exitCode: 0, stdout: '/home/agent\n' })
    const st = await stat(join(workspace, 'out.txt'))
    expect({ uid: st.uid, gid: st.gid }).toEqual(sandboxUser())
  })

  it('gets nothing from the engine environment: no key or token in env or files', async () => {
    const env = await sh('env; tr "\\0" "\\n" < /proc/1/environ')
    expect(env.exitCode).toBe(0)
    for (const value of Object.values(secrets)) expect(env.stdout).not.toContain(value)
    const names = new Set(env.stdout.split('\n').map((l) => l.split('=')[0]))
    for (const name of ['OPENAI_API_KEY', 'GITHUB_TOKEN', 'OPENAI_BASE_URL'])
      expect(names.has(name)).toBe(false)
    const info = await docker.getContainer(sandbox.id).inspect()
    expect(info.Config.Env.map((e) => e.split('=')[0]).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TERM'])
    // Nothing found (exit 1; 2 when some root-only file such as /etc/shadow could not be read).
    const grep = await sandbox.exec(
      [
        'grep',
        '-rIFls',
        '-e',
        secrets.OPENAI_API_KEY,
        '-e',
        secrets.GITHUB_TOKEN,
        '/workspace',
        '/tmp',
        '/home',
        '/etc',
      ],
      { timeoutMs: 60_000 },
    )
    expect(grep.stdout).toBe('')
    expect([1, 2]).toContain(grep.exitCode)
  })

  it('separates stdout and stderr and passes stdin, cwd and env', async () => {
    const r = await sandbox.exec(['sh', '-c', 'cat; echo "$FOO $(pwd)" >&2; exit 3'], {
      stdin: 'from stdin\n',
      cwd: '/tmp',
      env: { FOO: 'bar' },
    })
    expect(r).toMatchObject({ exitCode: 3, stdout: 'from stdin\n', stderr: 'bar /tmp\n', timedOut: false })
    const missing = await sandbox.exec(['no-such-command'])
    expect(missing).toMatchObject({ exitCode: 126, stdout: '' })
    expect(missing.stderr).toMatch(/executable file not found/)
    const big = Buffer.alloc(3 * 1024 * 1024, 'a')
    const wc = await sandbox.exec(['wc', '-c'], { stdin: big })
    expect(wc.stdout.trim()).toBe(String(big.length))
  })

  it('streams output as it comes and caps what it keeps (head and tail)', async () => {
    const chunks: string[] = []
    const r = await sandbox.exec(['seq', '1', '200000'], {
      maxOutputBytes: 8000,
      onOutput: (chunk, stream) => stream === 'stdout' && chunks.push(chunk),
    })
    expect(r.truncated).toBe(true)
    expect(r.stdout.startsWith('1\n2\n3\n')).toBe(true)
    expect(r.stdout.endsWith('199999\n200000\n')).toBe(true)
    expect(r.stdout.length).toBeLessThan(8000)
    expect(chunks.join('').length).toBe(1_288_895)
  })

  it('kills a command at its timeout, inside the container, within timeout + 3 s', async () => {
    const r = await sandbox.exec(['sleep', '100'], { timeoutMs: 1500 })
    expect(r.timedOut).toBe(true)
    expect(r.durationMs).toBeLessThan(1500 + 3000)
    expect((await sandbox.exec(['pgrep', '-f', '^sleep 100$'])).exitCode).toBe(1)
  })

  it('cancels a command through its AbortSignal and kills what it started', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 500)
    const started = Date.now()
    const err = await errorOf(
      sandbox.exec(['sh', '-c', 'sleep 101 & sleep 102; wait'], { signal: controller.signal }),
    )
    expect(err.kind).toBe('cancelled')
    expect(Date.now() - started).toBeLessThan(4000)
    expect((await sandbox.exec(['pgrep', '-f', '^sleep 10[12]$'])).exitCode).toBe(1)
  })

  it('holds the pids limit', async () => {
    const script = [
      'import os, time',
      'pids = []',
      'for i in range(400):',
      '    try: pid = os.fork()',
      '    except OSError: break',
      '    if pid == 0:',
      '        time.sleep(30); os._exit(0)',
      '    pids.append(pid)',
      'print(len(pids))',
      'for p in pids: os.kill(p, 9)',
    ].join('\n')
    const r = await sandbox.exec(['python3', '-c', script], { timeoutMs: 60_000 })
    expect(r.exitCode).toBe(0)
    const forked = Number(r.stdout.trim())
    expect(forked).toBeGreaterThan(10)
    expect(forked).toBeLessThan(128)
  })
})

describe('network (more in sandbox-network-*.test.ts)', () => {
  it('resolves deb.debian.org on the full network', async () => {
    const sandbox = await Sandbox.create(docker, specFor(await workspaceDir(), { network: { kind: 'full' } }))
    try {
      const probe = await sandbox.exec(['getent', 'hosts', 'deb.debian.org'], { timeoutMs: 20_000 })
      expect(probe.exitCode, probe.stderr).toBe(0)
      expect(probe.stdout).toContain('deb.debian.org')
    } finally {
      await sandbox.remove()
    }
  })

  it('starts with no interface but lo when network is off', async () => {
    const sandbox = await Sandbox.create(docker, specFor(await workspaceDir()))
    try {
      expect((await sandbox.exec(['ls', '/sys/class/net'])).stdout.trim()).toBe('lo')
    } finally {
      await sandbox.remove()
    }
  })
})

describe('limits and lifecycle', () => {
  it('reports an out-of-memory kill', async () => {
    const sandbox = await Sandbox.create(docker, specFor(await workspaceDir(), { memoryMb: 128 }))
    try {
      const r = await sandbox.exec(['python3', '-c', 'b = b"x" * (512 * 1024 * 1024)'], { timeoutMs: 60_000 })
      expect(r.exitCode).toBe(137)
      expect(r.oomKilled).toBe(true)
      expect((await sandbox.state()).oomKilled).toBe(true)
      const ok = await sandbox.exec(['true'])
      expect(ok).toMatchObject({ exitCode: 0, oomKilled: false })
    } finally {
      await sandbox.remove()
    }
  })

  it("kill() stops a busy container without Docker's 10 s grace; kill and remove are idempotent", async () => {
    const sandbox = await Sandbox.create(docker, specFor(await workspaceDir()))
    const busy = sandbox.exec(['sh', '-c', 'while :; do :; done']).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 300))
    const started = Date.now()
    await sandbox.kill()
    // kill() gives 2 s before SIGKILL; a stop with Docker's default grace would take 10 s or more.
    expect(Date.now() - started).toBeLessThan(9000)
    expect((await sandbox.state()).running).toBe(false)
    await busy
    await sandbox.kill()
    await sandbox.remove()
    await sandbox.remove()
    await sandbox.kill()
    expect(await sandbox.state()).toEqual({ running: false, oomKilled: false, exitCode: null })
  })

  it('labels containers with the task id; lists and removes them by task', async () => {
    const spec = specFor(await workspaceDir())
    const sandbox = await Sandbox.create(docker, spec)
    const mine = (await listTaskContainers(docker)).filter((c) => c.taskId === spec.taskId)
    expect(mine).toEqual([{ id: sandbox.id, taskId: spec.taskId, state: 'running' }])
    expect(await removeTaskContainers(docker, { keep: (id) => id !== spec.taskId })).toBe(1)
    expect((await listTaskContainers(docker)).some((c) => c.taskId === spec.taskId)).toBe(false)
    expect(await removeTaskContainers(docker, { taskId: spec.taskId })).toBe(0)
  })

  it('says image_missing for an image that is not there, leaving no container', async () => {
    const spec = specFor(await workspaceDir(), { image: 'codex-sys-agent:000000000000' })
    const err = await errorOf(Sandbox.create(docker, spec))
    expect(err).toBeInstanceOf(AppError)
    expect(err.kind).toBe('image_missing')
    expect(err.hint).toMatch(/npm run image/)
    expect((await listTaskContainers(docker)).some((c) => c.taskId === spec.taskId)).toBe(false)
  })
})

describe('an engine that is missing or dies', () => {
  it('DOCKER_HOST at a missing socket gives docker_unavailable with a clear message', async () => {
    vi.stubEnv('DOCKER_HOST', `unix://${join(await tempDir(), 'nope.sock')}`)
    try {
      const client = createDockerClient()
      const check = await errorOf(checkDocker(client))
      expect(check.kind).toBe('docker_unavailable')
      expect(check.message).toMatch(/Docker is not running/)
      const create = await errorOf(Sandbox.create(client, specFor(await workspaceDir())))
      expect(create.kind).toBe('docker_unavailable')
      expect(create.hint).toBeTruthy()
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('an engine dying during a command becomes docker_unavailable, not a crash', async () => {
    const relay = await startEngineRelay(await tempDir())
    vi.stubEnv('DOCKER_HOST', `unix://${relay.socketPath}`)
    const spec = specFor(await workspaceDir())
    try {
      const sandbox = await Sandbox.create(createDockerClient(), spec)
      const running = errorOf(sandbox.exec(['sleep', '30'], { timeoutMs: 60_000 }))
      await new Promise((r) => setTimeout(r, 500))
      await relay.cut()
      const err = await running
      expect(err.kind).toBe('docker_unavailable')
      expect(err.message).toBe('The Docker engine stopped responding.')
      expect((await errorOf(sandbox.state())).kind).toBe('docker_unavailable')
    } finally {
      vi.unstubAllEnvs()
      await removeTaskContainers(docker, { taskId: spec.taskId })
    }
  })
})
