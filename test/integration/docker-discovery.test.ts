import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { SystemStatus } from '../../src/shared/system'
import { defaultSettings, type Settings } from '../../src/shared/settings'
import { createDockerClient, dockerEndpointOf } from '../../src/main/docker/client'
import type { DiscoveryEnv } from '../../src/main/docker/engine-discovery'
import { createSystemService } from '../../src/main/engine/system-service'
import type { TaskEngine } from '../../src/main/engine/task-engine'
import { startSocketForwarder, type SocketForwarder } from '../support/socket-forwarder'
import { tempDir } from '../support/tmp'

/** A temp HOME and system root on Linux: no engine anywhere until a test puts a socket there. */
async function machine(): Promise<DiscoveryEnv & { home: string; root: string }> {
  const dir = await tempDir()
  const home = join(dir, 'home')
  const root = join(dir, 'root')
  await mkdir(home, { recursive: true })
  await mkdir(join(root, 'usr', 'bin'), { recursive: true })
  // Installed (a docker program on PATH), not running.
  await writeFile(join(root, 'usr', 'bin', 'docker'), '')
  return { platform: 'linux', home, root, env: { PATH: join(root, 'usr', 'bin') }, uid: 4242 }
}

async function forwarder(path: string, opts: { delayMs?: number } = {}): Promise<SocketForwarder> {
  const f = await startSocketForwarder(path, opts)
  onTestFinished(() => f.close())
  return f
}

async function useContext(home: string, name: string, host: string): Promise<void> {
  const configDir = join(home, '.docker')
  const metaDir = join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'))
  await mkdir(metaDir, { recursive: true })
  await writeFile(
    join(metaDir, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  )
  await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: {}, currentContext: name }))
}

/** The system service over a client of our own (the parts of the engine it uses: the client, the image). */
function systemService(
  discovery: DiscoveryEnv,
  settings: () => Settings = defaultSettings,
  timing: { checkMs?: number; wakeMs?: number } = {},
) {
  const docker = createDockerClient({ discovery, host: settings().docker.host })
  const image = {
    source: { baseImage: 'debian:bookworm-slim' },
    status: async () => ({ baseImage: 'debian:bookworm-slim', present: false, building: false }),
  }
  const engine = { docker, image } as unknown as TaskEngine
  return { docker, service: createSystemService(engine, { desktop: false, settings, discovery, ...timing }) }
}

async function until(check: () => Promise<SystemStatus>, ok: (s: SystemStatus) => boolean, ms: number) {
  const deadline = Date.now() + ms
  const seen: string[] = []
  for (;;) {
    const status = await check()
    seen.push(status.docker.state ?? '?')
    if (ok(status)) return { status, seen }
    if (Date.now() > deadline) throw new Error(`states seen: ${seen.join(', ')}`)
  }
}

describe('finding the engine', () => {
  it('talks to the engine through the current docker context (a socket at another path)', async () => {
    const m = await machine()
    const sock = await forwarder(join(m.root, 'srv', 'context-engine.sock'))
    await useContext(m.home, 'work-engine', `unix://${sock.path}`)
    const docker = createDockerClient({ discovery: m })
    expect(dockerEndpointOf(docker)).toMatchObject({ source: 'context', context: 'work-engine' })
    expect(String(await docker.ping())).toBe('OK')
    const info = (await docker.info()) as { OSType?: string; NCPU?: number }
    expect(info.OSType).toBe('linux')
    expect(info.NCPU).toBeGreaterThan(0)
    // It went through the context's socket, not the default one.
    expect(sock.connections).toBeGreaterThan(0)
  })

  it('finds an engine that starts after the app, on the next check, without a restart', async () => {
    const m = await machine()
    const { docker, service } = systemService(m)
    const before = await service.status()
    expect(before.docker).toMatchObject({ reachable: false, state: 'not_running' })
    expect(before.docker.endpoint?.source).toBe('default')

    // Colima starts: its socket appears under HOME.
    const colima = await forwarder(join(m.home, '.colima', 'default', 'docker.sock'))
    const after = await service.status()
    expect(after.docker).toMatchObject({ reachable: true, state: 'ready' })
    expect(after.docker.endpoint).toMatchObject({ host: `unix://${colima.path}`, source: 'socket' })
    // The same client object (the engine's parts hold it) now talks to the new engine.
    expect(String(await docker.ping())).toBe('OK')
    expect(colima.connections).toBeGreaterThan(0)
  })

  it('follows the engine address in Settings when it changes', async () => {
    const m = await machine()
    const named = await forwarder(join(m.root, 'named', 'engine.sock'))
    let settings = defaultSettings()
    const { service } = systemService(m, () => settings)
    expect((await service.status()).docker.state).toBe('not_running')
    settings = { ...settings, docker: { ...settings.docker, host: `unix://${named.path}` } }
    const status = await service.status()
    expect(status.docker).toMatchObject({ reachable: true, endpoint: { source: 'setting' } })
    expect(named.connections).toBeGreaterThan(0)
  })

  it('waits for an engine that is waking up (Resource Saver) instead of failing at the first timeout', async () => {
    const m = await machine()
    // Docker Desktop's socket, answering only after 1.5 s: longer than one check (300 ms here, 5 s in the app).
    const desktop = await forwarder(join(m.home, '.docker', 'desktop', 'docker.sock'), { delayMs: 1500 })
    const { service } = systemService(m, defaultSettings, { checkMs: 300, wakeMs: 20_000 })
    const first = await service.status()
    expect(first.docker).toMatchObject({ reachable: false, state: 'waking' })
    expect(first.docker.error?.message).toMatch(/Docker Desktop is waking up/)
    const { status, seen } = await until(
      () => service.status(),
      (s) => s.docker.reachable,
      15_000,
    )
    expect(status.docker.state).toBe('ready')
    expect(seen).not.toContain('not_running')
    expect(desktop.connections).toBeGreaterThan(0)
  })

  it('says when the engine is smaller than the sandbox limits', async () => {
    const m = await machine()
    await forwarder(join(m.home, '.orbstack', 'run', 'docker.sock'))
    const base = defaultSettings()
    const settings = { ...base, sandbox: { ...base.sandbox, cpus: 64, memoryMb: 16 * 1024 * 1024 } }
    const { service } = systemService(m, () => settings)
    const { docker } = await service.status()
    expect(docker.reachable).toBe(true)
    expect(docker.limits?.requested).toEqual({ cpus: 64, memoryMb: 16 * 1024 * 1024 })
    expect(docker.limits?.applied.cpus).toBe(docker.engine?.cpus)
    expect(docker.limits?.message).toMatch(/tasks run with \d+ CPUs? instead of 64/)
  })
})
