import { describe, expect, it } from 'vitest'
import { containerOptions, type SandboxSpec } from '../../../src/main/docker/container-spec'
import {
  classicPlan,
  engineKind,
  isLimitRefusal,
  planEngine,
  type EngineAnswers,
} from '../../../src/main/docker/engine-kind'
import { fitToEngine, withoutLimits } from '../../../src/main/docker/engine-options'
import {
  DOCKER_ROOTFUL,
  DOCKER_ROOTLESS_V1,
  DOCKER_ROOTLESS_V2,
  PODMAN_ROOTLESS_FEDORA,
  PODMAN_ROOTLESS_V1,
} from './engine-answers'

const HOST_USER = { uid: 1000, gid: 1000 }
const AGENT = { uid: 10001, gid: 10001 }

const spec: SandboxSpec = {
  taskId: 'test-abc',
  image: 'codex-sys-agent:123456789abc',
  workspace: '/data/tasks/abc/workspace',
  home: '/data/tasks/abc/home',
  memoryMb: 512,
  cpus: 1.5,
  pidsLimit: 256,
  tmpfsMb: 300,
  network: { kind: 'proxied', netDir: '/data/tasks/abc/net/agent' },
  caBundle: '/data/ca-bundle.pem',
}

/** The create options the plan gives, as Sandbox.create makes them. */
function optionsFor(answers: EngineAnswers, hostUser = HOST_USER, over: Partial<SandboxSpec> = {}) {
  const plan = planEngine(answers, hostUser)
  const base = containerOptions({ ...spec, ...over }, plan.user, 'n', { rootIsHostUser: plan.rootIsHostUser })
  return { plan, ...fitToEngine(base, plan) }
}

describe('engineKind', () => {
  it('tells the recorded engines apart', () => {
    expect(engineKind(DOCKER_ROOTFUL)).toBe('docker')
    expect(engineKind(DOCKER_ROOTLESS_V1)).toBe('docker-rootless')
    expect(engineKind(DOCKER_ROOTLESS_V2)).toBe('docker-rootless')
    expect(engineKind(PODMAN_ROOTLESS_V1)).toBe('podman-rootless')
    expect(engineKind(PODMAN_ROOTLESS_FEDORA)).toBe('podman-rootless')
  })

  it('knows Podman from its version answer alone, and rootless from info alone', () => {
    expect(engineKind({ version: PODMAN_ROOTLESS_V1.version })).toBe('podman')
    expect(engineKind({ info: { Rootless: true }, version: PODMAN_ROOTLESS_V1.version })).toBe(
      'podman-rootless',
    )
    expect(engineKind({ info: { SecurityOptions: ['name=rootless'] } })).toBe('docker-rootless')
    expect(engineKind({ info: { SecurityOptions: ['name=seccomp,profile=rootless'] } })).toBe('docker')
  })
})

describe('planEngine on a rootful Docker', () => {
  it('keeps the classic plan: the host user (or agent), every limit, no note', () => {
    expect(planEngine(DOCKER_ROOTFUL, HOST_USER)).toEqual(classicPlan(HOST_USER))
    expect(planEngine(DOCKER_ROOTFUL, AGENT)).toEqual(classicPlan(AGENT))
    const { options, notes } = optionsFor(DOCKER_ROOTFUL)
    expect(options).toEqual(containerOptions(spec, HOST_USER, 'n'))
    expect(notes).toEqual([])
  })
})

describe('planEngine on rootless Podman', () => {
  it('runs as the engine user with keep-id, whoever the app runs as', () => {
    for (const hostUser of [HOST_USER, AGENT]) {
      const { plan, options } = optionsFor(PODMAN_ROOTLESS_V1, hostUser)
      expect(plan.user).toEqual({ uid: 1001, gid: 1001 })
      expect(plan.hostOwner).toEqual({ uid: 1001, gid: 1001 })
      expect(options.User).toBe('1001:1001')
      expect(options.HostConfig?.UsernsMode).toBe('keep-id')
      expect(options.HostConfig?.CapDrop).toEqual(['ALL'])
      expect(options.HostConfig?.SecurityOpt).toEqual(['no-new-privileges'])
    }
  })

  it('gives a tmpfs HOME with `U`, not the uid=/gid= Podman refuses', () => {
    const { options } = optionsFor(PODMAN_ROOTLESS_V1, HOST_USER, { home: undefined })
    const home = options.HostConfig?.Tmpfs?.['/home/agent'] ?? ''
    expect(home.split(',')).toContain('U')
    expect(home).not.toMatch(/uid=|gid=/)
    expect(home).toMatch(/mode=0700/)
  })

  it('drops every limit on cgroup v1 and says so, whatever the compat info booleans claim', () => {
    const { plan, options } = optionsFor(PODMAN_ROOTLESS_V1)
    expect(plan.limits).toEqual({ memory: false, cpu: false, pids: false })
    const h = options.HostConfig ?? {}
    for (const key of ['Memory', 'MemorySwap', 'NanoCpus', 'PidsLimit']) expect(h).not.toHaveProperty(key)
    expect(plan.notes).toHaveLength(1)
    expect(plan.notes[0]).toMatch(
      /^Rootless Podman cannot apply the sandbox's memory, CPU and process \(pids\) limits/,
    )
    expect(plan.notes[0]).toMatch(/cgroup v1/)
  })

  it('on cgroup v2 applies the delegated controllers only, and relabels the mounts for SELinux', () => {
    const { plan, options, notes } = optionsFor(PODMAN_ROOTLESS_FEDORA)
    expect(plan.user).toEqual({ uid: 1000, gid: 1000 })
    expect(plan.limits).toEqual({ memory: true, cpu: false, pids: true })
    expect(plan.notes).toEqual([expect.stringMatching(/CPU limit \(rootless, with memory, pids delegated\)/)])
    const h = options.HostConfig ?? {}
    expect(h.Memory).toBe(512 * 1024 * 1024)
    expect(h.PidsLimit).toBe(256)
    expect(h).not.toHaveProperty('NanoCpus')
    expect(h.Mounts).toEqual([])
    expect(h.Binds).toEqual([
      '/data/tasks/abc/workspace:/workspace:rw,Z',
      '/data/tasks/abc/home:/home/agent:rw,Z',
      '/data/tasks/abc/net/agent:/run/codex-net:ro,Z',
      '/data/ca-bundle.pem:/etc/ssl/codex/ca-bundle.pem:ro,z',
    ])
    expect(notes).toEqual([])
  })

  it('leaves a path Binds cannot carry in Mounts, with a note', () => {
    const { options, notes } = optionsFor(PODMAN_ROOTLESS_FEDORA, HOST_USER, { workspace: '/data/a:b/ws' })
    expect(options.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/data/a:b/ws', Target: '/workspace', ReadOnly: false },
    ])
    expect(notes).toEqual([expect.stringMatching(/\/workspace could not be relabelled/)])
  })
})

describe('planEngine on rootless Docker', () => {
  it('runs as 0:0 (the engine user on the host), still with no capabilities', () => {
    const { plan, options } = optionsFor(DOCKER_ROOTLESS_V2)
    expect(plan.user).toEqual({ uid: 0, gid: 0 })
    expect(plan.hostOwner).toEqual({ uid: 1000, gid: 1000 })
    expect(options.User).toBe('0:0')
    expect(options.HostConfig?.UsernsMode).toBeUndefined()
    expect(options.HostConfig?.CapDrop).toEqual(['ALL'])
    expect(options.HostConfig?.SecurityOpt).toEqual(['no-new-privileges'])
    expect(options.HostConfig?.Privileged).toBe(false)
    expect(plan.limits).toEqual({ memory: true, cpu: true, pids: true })
    expect(plan.notes).toEqual([])
  })

  it('drops the limits without cgroups (v1, driver none) and says so', () => {
    const { plan, options } = optionsFor(DOCKER_ROOTLESS_V1)
    expect(plan.hostOwner).toEqual({ uid: 1001, gid: 1001 })
    expect(plan.limits).toEqual({ memory: false, cpu: false, pids: false })
    expect(options.HostConfig).not.toHaveProperty('Memory')
    expect(plan.notes[0]).toMatch(/^Rootless Docker cannot apply/)
  })

  it('never lets root in otherwise', () => {
    expect(() => containerOptions(spec, { uid: 0, gid: 0 }, 'n')).toThrow(/never runs as root/)
  })
})

describe('limit refusals', () => {
  it('recognises an engine refusing a limit, and nothing else', () => {
    expect(isLimitRefusal('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler')).toBe(
      true,
    )
    expect(
      isLimitRefusal('crun: the requested cgroup controller `cpu` is not available: OCI runtime error'),
    ).toBe(true)
    expect(isLimitRefusal('No such image: codex-sys-agent:abc')).toBe(false)
    expect(isLimitRefusal('invalid mount config for type "bind": bind source path does not exist')).toBe(
      false,
    )
  })

  it('withoutLimits removes exactly the limits', () => {
    const base = containerOptions(spec, HOST_USER, 'n')
    const bare = withoutLimits(base)
    expect(bare.HostConfig).not.toHaveProperty('Memory')
    expect(bare.HostConfig).not.toHaveProperty('NanoCpus')
    expect(bare.HostConfig).not.toHaveProperty('PidsLimit')
    expect({ ...bare.HostConfig, Memory: 0 }).toMatchObject({ CapDrop: ['ALL'], ReadonlyRootfs: true })
  })
})
