import type Docker from 'dockerode'
import { describe, expect, it } from 'vitest'
import type { SandboxSpec } from '../../../src/main/docker/container-spec'
import { classicPlan, planEngine } from '../../../src/main/docker/engine-kind'
import { createFitted } from '../../../src/main/docker/sandbox-engine'
import { PODMAN_ROOTLESS_V1 } from './engine-answers'

const spec: SandboxSpec = {
  taskId: 'test-abc',
  image: 'codex-sys-agent:123456789abc',
  workspace: '/data/tasks/abc/workspace',
  memoryMb: 512,
  cpus: 1.5,
  pidsLimit: 256,
  tmpfsMb: 300,
  network: { kind: 'none' },
}

/** A client whose createContainer answers with `errors` first (one per call), then a container. */
function fakeDocker(errors: unknown[]): { docker: Docker; calls: Docker.ContainerCreateOptions[] } {
  const calls: Docker.ContainerCreateOptions[] = []
  const createContainer = async (options: Docker.ContainerCreateOptions): Promise<Docker.Container> => {
    calls.push(options)
    const err = errors.shift()
    if (err) throw err
    return { id: `c${calls.length}` } as Docker.Container
  }
  return { docker: { createContainer } as unknown as Docker, calls }
}

const engineError = (statusCode: number, message: string): Error =>
  Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } })

describe('createFitted', () => {
  it('creates with the plan fitted in, its notes passed on', async () => {
    const { docker, calls } = fakeDocker([])
    const plan = planEngine(PODMAN_ROOTLESS_V1, { uid: 10001, gid: 10001 })
    const made = await createFitted(docker, spec, plan, 'n')
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ User: '1001:1001', HostConfig: { UsernsMode: 'keep-id' } })
    expect(made.notes).toEqual(plan.notes)
  })

  it('makes it again without limits when the engine refuses one, and says so', async () => {
    const refusal =
      'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted'
    const { docker, calls } = fakeDocker([engineError(400, refusal)])
    const made = await createFitted(docker, spec, classicPlan({ uid: 1000, gid: 1000 }), 'n')
    expect(calls).toHaveLength(2)
    expect(calls[0]?.HostConfig).toMatchObject({ Memory: 512 * 1024 * 1024, NanoCpus: 1.5e9, PidsLimit: 256 })
    for (const key of ['Memory', 'MemorySwap', 'NanoCpus', 'PidsLimit']) {
      expect(calls[1]?.HostConfig).not.toHaveProperty(key)
    }
    expect(calls[1]?.HostConfig).toMatchObject({ CapDrop: ['ALL'], ReadonlyRootfs: true })
    expect(made.container.id).toBe('c2')
    expect(made.notes).toEqual([
      expect.stringContaining(`The engine refused the sandbox's memory, CPU and process limits (${refusal})`),
    ])
  })

  it('passes any other error on, unretried', async () => {
    const missing = engineError(404, 'No such image: codex-sys-agent:123456789abc')
    const { docker, calls } = fakeDocker([missing])
    await expect(createFitted(docker, spec, classicPlan({ uid: 1000, gid: 1000 }), 'n')).rejects.toBe(missing)
    const broken = engineError(500, 'invalid mount config for type "bind": bind source path does not exist')
    const again = fakeDocker([broken])
    await expect(createFitted(again.docker, spec, classicPlan({ uid: 1000, gid: 1000 }), 'n')).rejects.toBe(
      broken,
    )
    expect(calls.length + again.calls.length).toBe(2)
  })
})
