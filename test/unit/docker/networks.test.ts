import type Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import type { EngineAnswers } from '../../../src/main/docker/engine-kind'
import {
  ensureFullNetwork,
  FULL_NETWORK,
  fullNetworkOptions,
  fullNetworkRefusal,
  NETWORK_LABEL,
  unfitReason,
} from '../../../src/main/docker/networks'
import { AppError } from '../../../src/main/errors'
import {
  DOCKER_ROOTFUL,
  DOCKER_ROOTLESS_V2,
  PODMAN_ROOTLESS_FEDORA,
  PODMAN_ROOTLESS_V1,
} from './engine-answers'

const good = {
  Id: 'net1',
  Driver: 'bridge',
  EnableIPv6: false,
  Internal: false,
  Options: { 'com.docker.network.bridge.enable_icc': 'false' },
  Labels: { [NETWORK_LABEL]: 'full' },
}

const statusError = (statusCode: number): Error =>
  Object.assign(new Error(`HTTP ${statusCode}`), { statusCode })

/**
 * A Docker double with just the network calls and what the engine says it is (`engine`, rootful Docker
 * by default): `existing` is what inspect finds (undefined → 404).
 */
function fakeDocker(
  opts: {
    existing?: typeof good
    createFails?: number
    madeByOther?: typeof good
    engine?: EngineAnswers
  } = {},
) {
  let network = opts.existing
  const calls = { inspect: 0, create: [] as Docker.NetworkCreateOptions[] }
  const engine = opts.engine ?? DOCKER_ROOTFUL
  const docker = {
    modem: {},
    info: async () => engine.info,
    version: async () => engine.version,
    getNetwork: (name: string) => ({
      inspect: async () => {
        calls.inspect++
        expect(name).toBe(FULL_NETWORK)
        await new Promise((r) => setTimeout(r, 5))
        if (!network) throw statusError(404)
        return network
      },
    }),
    createNetwork: async (options: Docker.NetworkCreateOptions) => {
      calls.create.push(options)
      if (opts.createFails) {
        network = opts.madeByOther
        throw statusError(opts.createFails)
      }
      network = { ...good, Id: 'made' }
      return {}
    },
  }
  return { docker: docker as unknown as Docker, calls }
}

describe('fullNetworkOptions', () => {
  it('is a labelled bridge with inter-container traffic off and no IPv6', () => {
    const o = fullNetworkOptions()
    expect(o).toMatchObject({
      Name: 'codex-sys-full',
      Driver: 'bridge',
      EnableIPv6: false,
      Internal: false,
      CheckDuplicate: true,
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      Labels: { [NETWORK_LABEL]: 'full' },
    })
    expect(unfitReason({ ...good, ...o, Id: 'x' } as typeof good)).toBeUndefined()
  })
})

describe('unfitReason', () => {
  it('refuses a network not made by codex-sys, or one that lets containers talk or has IPv6', () => {
    expect(unfitReason(good)).toBeUndefined()
    expect(unfitReason({ ...good, Labels: {} })).toMatch(/not made by codex-sys/)
    expect(unfitReason({ ...good, Options: {} })).toMatch(/between its containers/)
    expect(unfitReason({ ...good, Options: { 'com.docker.network.bridge.enable_icc': 'true' } })).toMatch(
      /between its containers/,
    )
    expect(unfitReason({ ...good, EnableIPv6: true })).toMatch(/IPv6/)
    expect(unfitReason({ ...good, Driver: 'macvlan' })).toMatch(/driver/)
    expect(unfitReason({ ...good, Internal: true })).toMatch(/internal/)
  })
})

describe('fullNetworkRefusal', () => {
  it('refuses Podman, rootless or not: its networks let their containers reach each other', () => {
    for (const answers of [
      PODMAN_ROOTLESS_V1,
      PODMAN_ROOTLESS_FEDORA,
      { version: PODMAN_ROOTLESS_V1.version },
    ]) {
      const refusal = fullNetworkRefusal(answers)
      expect(refusal).toBeInstanceOf(AppError)
      expect(refusal?.kind).toBe('unsupported')
      expect(refusal?.message).toMatch(/^Podman cannot give a sandbox full network access/)
      expect(refusal?.message).toMatch(/reach another's sandbox/)
      expect(refusal?.hint).toMatch(/another network mode/)
    }
  })

  it('lets Docker have it, and an engine that did not say what it is (the network check still runs)', () => {
    expect(fullNetworkRefusal(DOCKER_ROOTFUL)).toBeUndefined()
    expect(fullNetworkRefusal(DOCKER_ROOTLESS_V2)).toBeUndefined()
    expect(fullNetworkRefusal(undefined)).toBeUndefined()
  })
})

describe('ensureFullNetwork', () => {
  it('makes nothing on Podman: it refuses before looking', async () => {
    const { docker, calls } = fakeDocker({ engine: PODMAN_ROOTLESS_V1 })
    const err = (await ensureFullNetwork(docker).catch((e: unknown) => e)) as AppError
    expect(err).toBeInstanceOf(AppError)
    expect(err.kind).toBe('unsupported')
    expect(calls).toEqual({ inspect: 0, create: [] })
  })

  it('uses the network when it is there and fit', async () => {
    const { docker, calls } = fakeDocker({ existing: good })
    expect(await ensureFullNetwork(docker)).toBe('net1')
    expect(calls.create).toEqual([])
  })

  it('creates it once when missing, even when asked many times at once', async () => {
    const { docker, calls } = fakeDocker()
    const ids = await Promise.all([1, 2, 3, 4].map(() => ensureFullNetwork(docker)))
    expect(ids).toEqual(['made', 'made', 'made', 'made'])
    expect(calls.create).toHaveLength(1)
    expect(calls.create[0]).toEqual(fullNetworkOptions())
    expect(await ensureFullNetwork(docker)).toBe('made')
    expect(calls.create).toHaveLength(1)
  })

  it('takes the one another process made meanwhile (409), if it is fit', async () => {
    const { docker } = fakeDocker({ createFails: 409, madeByOther: { ...good, Id: 'other' } })
    expect(await ensureFullNetwork(docker)).toBe('other')
  })

  it('refuses an unfit network of that name instead of joining it', async () => {
    const { docker, calls } = fakeDocker({
      existing: { ...good, Options: { 'com.docker.network.bridge.enable_icc': 'true' } },
    })
    const err = await ensureFullNetwork(docker).catch((e: unknown) => e as AppError)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).kind).toBe('container_failed')
    expect((err as AppError).message).toMatch(/codex-sys-full exists, but traffic between its containers/)
    expect((err as AppError).hint).toMatch(/docker network rm codex-sys-full/)
    expect(calls.create).toEqual([])
  })

  it('reports an engine error on create', async () => {
    const { docker } = fakeDocker({ createFails: 500 })
    const err = (await ensureFullNetwork(docker).catch((e: unknown) => e)) as AppError
    expect(err.kind).toBe('container_failed')
    expect(err.message).toMatch(/Could not create the Docker network codex-sys-full/)
  })
})
