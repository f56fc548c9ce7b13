import { readFileSync } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createDockerClient } from '../../../src/main/docker/client'
import type { DockerEndpoint } from '../../../src/main/docker/engine-discovery'
import { engineInstalled } from '../../../src/main/docker/engine-install'
import { clampSandboxLimits } from '../../../src/main/docker/engine-limits'
import { EngineProbe } from '../../../src/main/docker/engine-probe'
import {
  classifyAnswer,
  classifyFailure,
  engineIdentity,
  type DockerInfo,
  type DockerVersion,
} from '../../../src/main/docker/engine-status'
import { AppError } from '../../../src/main/errors'
import { tempDir } from '../../support/tmp'

/** `docker info` answers (GET /info), written from each engine's documented shape. */
const info = (name: string): DockerInfo =>
  JSON.parse(
    readFileSync(join(import.meta.dirname, 'fixtures', 'docker-info', `${name}.json`), 'utf8'),
  ) as DockerInfo

const DOCKER_VERSION: DockerVersion = {
  Version: '27.3.1',
  ApiVersion: '1.47',
  Components: [{ Name: 'Engine' }],
}
const PODMAN_VERSION = info('podman-version') as DockerVersion

const endpoint = (host: string, over: Partial<DockerEndpoint> = {}): DockerEndpoint => ({
  host,
  source: 'socket',
  notes: [],
  ...over,
})
const SOCKET = endpoint('unix:///var/run/docker.sock', { source: 'default', product: 'docker' })

const connectError = (code: string, path = '/var/run/docker.sock'): Error =>
  Object.assign(new Error(`connect ${code} ${path}`), { code, errno: -13, syscall: 'connect', address: path })

describe('what docker info says', () => {
  const cases: [string, DockerVersion, { name: string; osType: string; rootless: boolean; state: string }][] =
    [
      [
        'docker-desktop-mac',
        DOCKER_VERSION,
        { name: 'Docker Desktop', osType: 'linux', rootless: false, state: 'ready' },
      ],
      [
        'docker-desktop-windows-linux',
        DOCKER_VERSION,
        { name: 'Docker Desktop', osType: 'linux', rootless: false, state: 'ready' },
      ],
      [
        'docker-desktop-windows-containers',
        DOCKER_VERSION,
        { name: 'Docker Engine', osType: 'windows', rootless: false, state: 'windows_containers' },
      ],
      ['orbstack', DOCKER_VERSION, { name: 'OrbStack', osType: 'linux', rootless: false, state: 'ready' }],
      ['colima', DOCKER_VERSION, { name: 'Colima', osType: 'linux', rootless: false, state: 'ready' }],
      [
        'rootless-docker',
        DOCKER_VERSION,
        { name: 'Docker Engine', osType: 'linux', rootless: true, state: 'ready' },
      ],
      ['podman', PODMAN_VERSION, { name: 'Podman', osType: 'linux', rootless: true, state: 'ready' }],
    ]
  for (const [fixture, version, expected] of cases) {
    it(`recognises ${fixture}`, () => {
      const status = classifyAnswer(info(fixture), version, SOCKET)
      expect(status.state).toBe(expected.state)
      expect(status.reachable).toBe(expected.state === 'ready')
      expect(status.engine).toMatchObject({
        name: expected.name,
        osType: expected.osType,
        rootless: expected.rootless,
      })
      expect(status.version).toBe(version.Version)
    })
  }

  it('says how to leave Windows-containers mode', () => {
    const status = classifyAnswer(info('docker-desktop-windows-containers'), DOCKER_VERSION, SOCKET)
    expect(status.error?.message).toMatch(/Windows containers; codex-sys needs Linux containers/)
    expect(status.error?.hint).toMatch(/Switch to Linux containers/)
  })

  it('knows Podman by its version answer alone, and an engine by its socket when info says nothing', () => {
    expect(engineIdentity({}, PODMAN_VERSION).name).toBe('Podman')
    expect(engineIdentity({}, DOCKER_VERSION, endpoint('unix:///x', { product: 'orbstack' })).name).toBe(
      'OrbStack',
    )
  })
})

describe('an engine too small for the sandbox limits', () => {
  const capacity = (fixture: string) => {
    const i = info(fixture)
    return { cpus: i.NCPU as number, memTotal: i.MemTotal as number, product: engineIdentity(i).name }
  }

  it("lowers CPUs and memory to Colima's 2 CPUs and 1965 MB, and says how to give it more", () => {
    const { limits, clamp } = clampSandboxLimits(
      { cpus: 4, memoryMb: 4096, pidsLimit: 1024 },
      capacity('colima'),
    )
    expect(limits).toEqual({ cpus: 2, memoryMb: 1768, pidsLimit: 1024 })
    expect(clamp?.requested).toEqual({ cpus: 4, memoryMb: 4096 })
    expect(clamp?.message).toContain("Colima's VM has 2 CPUs and 1965 MB of memory")
    expect(clamp?.message).toContain('2 CPUs instead of 4 and 1768 MB of memory instead of 4096 MB')
    expect(clamp?.message).toContain('colima start --cpu 4 --memory 4')
  })

  it("lowers only memory on Docker Desktop's 4-CPU, 3923 MB VM", () => {
    const { limits, clamp } = clampSandboxLimits({ cpus: 4, memoryMb: 4096 }, capacity('docker-desktop-mac'))
    expect(limits).toEqual({ cpus: 4, memoryMb: 3530 })
    expect(clamp?.message).toMatch(/Docker Desktop → Settings → Resources/)
  })

  it('leaves limits that fit alone (OrbStack with 10 CPUs, Podman, an info without sizes)', () => {
    expect(clampSandboxLimits({ cpus: 4, memoryMb: 4096 }, capacity('orbstack')).clamp).toBeUndefined()
    expect(clampSandboxLimits({ cpus: 2, memoryMb: 2048 }, capacity('podman')).clamp).toBeUndefined()
    expect(clampSandboxLimits({ cpus: 64, memoryMb: 1e6 }, {}).clamp).toBeUndefined()
  })
})

describe('why the engine did not answer', () => {
  it('tells a permission problem apart, on Linux (docker group) and Windows (docker-users)', () => {
    const linux = classifyFailure(
      new AppError('docker_unavailable', 'x', { cause: connectError('EACCES') }),
      {
        endpoint: SOCKET,
        platform: 'linux',
        installed: true,
      },
    )
    expect(linux.state).toBe('no_permission')
    expect(linux.error?.message).toContain('permission denied')
    expect(linux.error?.hint).toContain('sudo usermod -aG docker $USER')
    const windows = classifyFailure(connectError('EPERM', '//./pipe/docker_engine'), {
      endpoint: endpoint('npipe:////./pipe/docker_engine', { source: 'default' }),
      platform: 'win32',
      installed: true,
    })
    expect(windows.state).toBe('no_permission')
    expect(windows.error?.hint).toContain('docker-users')
  })

  it('tells not installed from not running, and names where it looked and what to start', () => {
    const refused = connectError('ECONNREFUSED')
    expect(classifyFailure(refused, { endpoint: SOCKET, platform: 'linux', installed: false }).state).toBe(
      'not_installed',
    )
    const colima = endpoint('unix:///Users/me/.colima/default/docker.sock', {
      source: 'context',
      context: 'colima',
      product: 'colima',
    })
    const running = classifyFailure(refused, { endpoint: colima, platform: 'darwin', installed: false })
    expect(running.state).toBe('not_running')
    expect(running.error?.message).toContain('docker context “colima”')
    expect(running.error?.hint).toContain('colima start')
    expect(running.error?.hint).toContain('docker context use default')
  })

  it('says "waking up" for Docker Desktop still waking, and "did not answer" once the wait is over', () => {
    const desktop = endpoint('unix:///Users/me/.docker/run/docker.sock', { product: 'docker-desktop' })
    const waking = classifyFailure(undefined, {
      endpoint: desktop,
      platform: 'darwin',
      installed: true,
      waking: true,
    })
    expect(waking.state).toBe('waking')
    expect(waking.error?.message).toMatch(/Docker Desktop is waking up/)
    const late = new AppError('docker_unavailable', 'late', { details: { timedOut: true } })
    const gone = classifyFailure(late, { endpoint: desktop, platform: 'darwin', installed: true })
    expect(gone.state).toBe('not_running')
    expect(gone.error?.message).toMatch(/accepted the connection but did not answer/)
  })
})

describe('EngineProbe on a machine with no engine', () => {
  it('says "not installed" with nothing installed, "not running" once a docker program is on PATH', async () => {
    const dir = await tempDir()
    const home = join(dir, 'home')
    const bin = join(dir, 'bin')
    await mkdir(home, { recursive: true })
    await mkdir(bin, { recursive: true })
    const discovery = {
      platform: 'linux' as const,
      home,
      root: join(dir, 'root'),
      env: { PATH: bin },
      uid: 4242,
    }
    const probe = new EngineProbe(createDockerClient({ discovery }), { discovery })
    expect(engineInstalled(discovery)).toBe(false)
    const none = await probe.status()
    expect(none).toMatchObject({ reachable: false, state: 'not_installed' })
    expect(none.error?.hint).toContain('sudo apt install docker.io')
    await writeFile(join(bin, 'docker'), '#!/bin/sh\n')
    await chmod(join(bin, 'docker'), 0o755)
    const stopped = await probe.status()
    expect(stopped).toMatchObject({ reachable: false, state: 'not_running' })
    expect(stopped.endpoint?.host).toBe(`unix://${join(dir, 'root')}/var/run/docker.sock`)
  })
})
