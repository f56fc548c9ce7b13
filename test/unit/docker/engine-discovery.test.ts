import { createHash } from 'node:crypto'
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDockerClient, dockerEndpointOf } from '../../../src/main/docker/client'
import { resolveDockerEndpoint, type DiscoveryEnv } from '../../../src/main/docker/engine-discovery'
import { tempDir } from '../../support/tmp'
import { REAL_DOCKER_SOCKET } from '../../support/socket-forwarder'

/** A link at `path` to the real engine socket: a socket that exists, at a path of our choosing. */
async function socketAt(path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true })
  await symlink(REAL_DOCKER_SOCKET, path)
  return path
}

/** The docker CLI's files for a context: meta/<sha256(name)>/meta.json, as `docker context create` writes them. */
async function writeContext(configDir: string, name: string, host: string): Promise<void> {
  const id = createHash('sha256').update(name).digest('hex')
  const meta = {
    Name: name,
    Metadata: { Description: `${name} context` },
    Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
  }
  await mkdir(join(configDir, 'contexts', 'meta', id), { recursive: true })
  await writeFile(join(configDir, 'contexts', 'meta', id, 'meta.json'), JSON.stringify(meta))
}

async function writeConfig(configDir: string, config: Record<string, unknown>): Promise<void> {
  await mkdir(configDir, { recursive: true })
  await writeFile(join(configDir, 'config.json'), JSON.stringify(config))
}

/** A temp HOME and system root, with nothing in them yet: no engine anywhere. */
async function machine(
  platform: NodeJS.Platform = 'linux',
): Promise<DiscoveryEnv & { home: string; root: string }> {
  const dir = await tempDir()
  const home = join(dir, 'home')
  const root = join(dir, 'root')
  await mkdir(home, { recursive: true })
  await mkdir(root, { recursive: true })
  return { platform, home, root, env: {}, uid: 4242 }
}

describe('finding the engine like the docker CLI', () => {
  it('takes Settings, then DOCKER_HOST, then DOCKER_CONTEXT, then the current context, then sockets', async () => {
    const m = await machine('darwin')
    const docker = join(m.home, '.docker')
    const current = await socketAt(join(m.home, 'elsewhere', 'current.sock'))
    const chosen = await socketAt(join(m.home, 'elsewhere', 'chosen.sock'))
    const desktop = await socketAt(join(m.home, '.docker', 'run', 'docker.sock'))
    await writeConfig(docker, { auths: {}, currentContext: 'desktop-linux' })
    await writeContext(docker, 'desktop-linux', `unix://${current}`)
    await writeContext(docker, 'chosen', `unix://${chosen}`)

    const env: Record<string, string> = { DOCKER_HOST: 'tcp://10.0.0.9:2375', DOCKER_CONTEXT: 'chosen' }
    expect(resolveDockerEndpoint({ ...m, env, setting: 'unix:///from/settings.sock' })).toMatchObject({
      host: 'unix:///from/settings.sock',
      source: 'setting',
    })
    expect(resolveDockerEndpoint({ ...m, env })).toMatchObject({
      host: 'tcp://10.0.0.9:2375',
      source: 'DOCKER_HOST',
    })
    delete env.DOCKER_HOST
    expect(resolveDockerEndpoint({ ...m, env })).toMatchObject({
      host: `unix://${chosen}`,
      source: 'DOCKER_CONTEXT',
      context: 'chosen',
    })
    delete env.DOCKER_CONTEXT
    expect(resolveDockerEndpoint({ ...m, env })).toMatchObject({
      host: `unix://${current}`,
      source: 'context',
      context: 'desktop-linux',
      notes: [],
    })
    await writeConfig(docker, { currentContext: 'default' })
    expect(resolveDockerEndpoint({ ...m, env })).toMatchObject({
      host: `unix://${desktop}`,
      source: 'socket',
      product: 'docker-desktop',
    })
  })

  it('goes on to the sockets, with a note, when the context has no metadata', async () => {
    const m = await machine()
    await writeConfig(join(m.home, '.docker'), { currentContext: 'gone' })
    const colima = await socketAt(join(m.home, '.colima', 'default', 'docker.sock'))
    const endpoint = resolveDockerEndpoint(m)
    expect(endpoint).toMatchObject({ host: `unix://${colima}`, source: 'socket', product: 'colima' })
    expect(endpoint.notes.join(' ')).toContain('“gone” has no metadata')
  })

  it('reads contexts from DOCKER_CONFIG when it is set', async () => {
    const m = await machine()
    const configDir = join(m.root, 'custom-config')
    const sock = await socketAt(join(m.root, 'ctx.sock'))
    await writeConfig(configDir, { currentContext: 'work' })
    await writeContext(configDir, 'work', `unix://${sock}`)
    expect(resolveDockerEndpoint({ ...m, env: { DOCKER_CONFIG: configDir } })).toMatchObject({
      host: `unix://${sock}`,
      source: 'context',
    })
  })

  it('knows the sockets of Docker Desktop, OrbStack, Colima, Rancher Desktop, rootless Docker and Podman, in order', async () => {
    const m = await machine()
    const runtime = join(m.root, 'run', 'user', '4242')
    const order: [string, string][] = [
      [join(m.home, '.docker', 'desktop', 'docker.sock'), 'docker-desktop'],
      [join(m.home, '.orbstack', 'run', 'docker.sock'), 'orbstack'],
      [join(m.home, '.config', 'colima', 'default', 'docker.sock'), 'colima'],
      [join(m.home, '.rd', 'docker.sock'), 'rancher-desktop'],
      [join(runtime, 'docker.sock'), 'rootless-docker'],
      [join(runtime, 'podman', 'podman.sock'), 'podman'],
      [join(m.root, 'run', 'podman', 'podman.sock'), 'podman'],
      [join(m.root, 'var', 'run', 'docker.sock'), 'docker'],
    ]
    for (const [path] of order) await socketAt(path)
    // The last one first: each socket, once removed, lets the next one through.
    for (const [path, product] of order) {
      expect(resolveDockerEndpoint(m)).toMatchObject({ host: `unix://${path}`, source: 'socket', product })
      await rm(path)
    }
    expect(resolveDockerEndpoint(m)).toMatchObject({
      host: `unix://${join(m.root, 'var', 'run', 'docker.sock')}`,
      source: 'default',
    })
  })

  it('uses XDG_RUNTIME_DIR for rootless Docker and Podman, and ignores what is not a socket', async () => {
    const m = await machine()
    const runtime = join(m.root, 'xdg')
    await mkdir(join(runtime, 'podman'), { recursive: true })
    await writeFile(join(runtime, 'docker.sock'), 'a regular file, not a socket')
    const podman = await socketAt(join(runtime, 'podman', 'podman.sock'))
    expect(resolveDockerEndpoint({ ...m, env: { XDG_RUNTIME_DIR: runtime } })).toMatchObject({
      host: `unix://${podman}`,
      product: 'podman',
    })
  })

  it("uses Windows' named pipe, or the context's", async () => {
    const m = await machine('win32')
    expect(resolveDockerEndpoint(m)).toMatchObject({
      host: 'npipe:////./pipe/docker_engine',
      source: 'default',
    })
    await writeConfig(join(m.home, '.docker'), { currentContext: 'desktop-linux' })
    await writeContext(join(m.home, '.docker'), 'desktop-linux', 'npipe:////./pipe/dockerDesktopLinuxEngine')
    expect(resolveDockerEndpoint(m)).toMatchObject({
      host: 'npipe:////./pipe/dockerDesktopLinuxEngine',
      source: 'context',
      product: 'docker-desktop',
    })
    expect(resolveDockerEndpoint({ ...m, env: { DOCKER_HOST: '127.0.0.1:2375' } }).host).toBe(
      'tcp://127.0.0.1:2375',
    )
  })

  it('builds the client for what it found: the context’s socket, not the default one', async () => {
    const m = await machine('darwin')
    const sock = await socketAt(join(m.root, 'somewhere', 'engine.sock'))
    await writeConfig(join(m.home, '.docker'), { currentContext: 'colima' })
    await writeContext(join(m.home, '.docker'), 'colima', `unix://${sock}`)
    // DOCKER_HOST in the app's own environment must not leak in: discovery's environment is the one given.
    const docker = createDockerClient({ discovery: m })
    expect(dockerEndpointOf(docker)).toMatchObject({
      host: `unix://${sock}`,
      source: 'context',
      context: 'colima',
    })
    expect((docker.modem as { socketPath?: unknown }).socketPath).toBe(sock)
    const tcp = createDockerClient({ discovery: m, host: 'tcp://127.0.0.1:2376' })
    expect(tcp.modem).toMatchObject({ host: '127.0.0.1', port: '2376', protocol: 'https' })
    expect((tcp.modem as { socketPath?: unknown }).socketPath).toBeUndefined()
  })
})

describe('addresses that cannot be used', () => {
  it('passes over a junk DOCKER_HOST or context host, with a note, instead of failing to start', async () => {
    const m = await machine()
    const sock = await socketAt(join(m.home, '.rd', 'docker.sock'))
    await writeConfig(join(m.home, '.docker'), { currentContext: 'broken' })
    await writeContext(join(m.home, '.docker'), 'broken', 'ftp://nowhere')
    const endpoint = resolveDockerEndpoint({ ...m, env: { DOCKER_HOST: 'tcp://' } })
    expect(endpoint).toMatchObject({ host: `unix://${sock}`, source: 'socket', product: 'rancher-desktop' })
    expect(endpoint.notes.join(' ')).toMatch(/DOCKER_HOST “tcp:\/\/” is not an engine address/)
    expect(endpoint.notes.join(' ')).toMatch(/“broken” names no usable Docker endpoint/)
    expect(() => createDockerClient({ discovery: { ...m, env: { DOCKER_HOST: 'tcp://' } } })).not.toThrow()
  })
})
