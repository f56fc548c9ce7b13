import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import Docker from 'dockerode'
import { afterEach, describe, expect, it } from 'vitest'
import { isDockerDesktop } from '../../../src/main/docker/client'
import {
  detectEngine,
  engineAnswers,
  engineProduct,
  libpodInfoPath,
  planEngine,
} from '../../../src/main/docker/engine-kind'
import { engineIdentity } from '../../../src/main/docker/engine-status'
import { tempDir } from '../../support/tmp'
import { PODMAN_ROOTLESS_FEDORA } from './engine-answers'

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, 'fixtures', 'docker-info', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>

/** A stand-in engine on a unix socket: GET answers by path (no query), 404 for anything else. */
const servers: Server[] = []
async function fakeEngine(routes: Record<string, unknown>): Promise<{ socketPath: string; asked: string[] }> {
  const socketPath = join(await tempDir(), 'engine.sock')
  const asked: string[] = []
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!
    asked.push(path)
    const body = routes[path]
    res.writeHead(body === undefined ? 404 : 200, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(body ?? { message: 'Not Found' }))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return { socketPath, asked }
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

describe('which product answered, decided once', () => {
  it('tells the products apart from info (and version, for Podman)', () => {
    const podmanVersion = fixture('podman-version')
    expect(engineProduct({ info: fixture('docker-desktop-mac') })).toBe('docker-desktop')
    expect(engineProduct({ info: fixture('docker-desktop-windows-linux') })).toBe('docker-desktop')
    expect(engineProduct({ info: fixture('orbstack') })).toBe('orbstack')
    expect(engineProduct({ info: fixture('colima') })).toBe('colima')
    expect(engineProduct({ info: { OperatingSystem: 'Rancher Desktop WSL Distribution' } })).toBe(
      'rancher-desktop',
    )
    expect(engineProduct({ info: fixture('podman') })).toBe('podman')
    expect(engineProduct({ info: {}, version: podmanVersion })).toBe('podman')
    expect(engineProduct({ info: fixture('rootless-docker') })).toBeUndefined()
    expect(engineProduct({ info: fixture('docker-desktop-windows-containers') })).toBeUndefined()
  })

  it('is what the Docker screen names and what picks the proxy transport', async () => {
    for (const name of ['docker-desktop-mac', 'orbstack', 'colima', 'podman', 'rootless-docker']) {
      const info = fixture(name)
      const engine = await fakeEngine({ '/info': info, '/version': { Version: '27.3.1' } })
      const desktop = await isDockerDesktop(new Docker({ socketPath: engine.socketPath }))
      expect({ name, desktop }).toEqual({ name, desktop: engineProduct({ info }) === 'docker-desktop' })
      expect({ name, desktop }).toEqual({ name, desktop: engineIdentity(info).name === 'Docker Desktop' })
    }
  })
})

describe('asking the engine', () => {
  it("asks Podman's libpod info under a version (it has no unversioned route), its own if it says", async () => {
    expect(libpodInfoPath(fixture('podman-version'))).toBe('/v5.2.3/libpod/info')
    expect(libpodInfoPath({ Components: [{ Name: 'Podman Engine', Version: '4.3.1' }] })).toBe(
      '/v4.3.1/libpod/info',
    )
    expect(libpodInfoPath(undefined)).toBe('/v4.0.0/libpod/info')
    const engine = await fakeEngine({
      '/info': PODMAN_ROOTLESS_FEDORA.info,
      '/version': fixture('podman-version'),
      '/v5.2.3/libpod/info': PODMAN_ROOTLESS_FEDORA.libpod,
    })
    const answers = await detectEngine(new Docker({ socketPath: engine.socketPath }))
    expect(answers?.libpod).toEqual(PODMAN_ROOTLESS_FEDORA.libpod)
    // What only libpod says: the controllers delegated (no cpu), the engine user's ids.
    const plan = planEngine(answers!, { uid: 1, gid: 1 })
    expect(plan.limits).toEqual({ memory: true, cpu: false, pids: true })
    expect(plan.user).toEqual({ uid: 1000, gid: 1000 })
  })

  it('asks again once the client is pointed at another engine', async () => {
    const desktop = await fakeEngine({ '/info': fixture('docker-desktop-mac'), '/version': {} })
    const linux = await fakeEngine({ '/info': fixture('rootless-docker'), '/version': {} })
    const docker = new Docker({ socketPath: desktop.socketPath })
    expect(await isDockerDesktop(docker)).toBe(true)
    expect(await isDockerDesktop(docker)).toBe(true)
    expect(desktop.asked.filter((p) => p === '/info')).toHaveLength(1)
    // What reconnectDocker does: the same object, a new modem.
    docker.modem = new Docker({ socketPath: linux.socketPath }).modem
    expect(await isDockerDesktop(docker)).toBe(false)
    expect((await engineAnswers(docker))?.info?.Name).toBe('devbox')
  })
})
