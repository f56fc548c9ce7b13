/**
 * Shared setup of the sandbox network tests (sandbox-network-*.test.ts), against real Docker (see
 * container-spec.ts, networks.ts, codex-relay): `none` (off), `proxied` (registries/custom: loopback only, a
 * relay to host unix sockets) and `full` (the codex-sys-full bridge). Real probes aim only at 127.0.0.1, at
 * containers these files start, or at the package registries' names (deb.debian.org, registry.npmjs.org);
 * in proxied mode those names go no further than a fake proxy on the host.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { afterAll, beforeAll } from 'vitest'
import { ensureAgentImage } from '../../src/main/docker/image'
import { giveWorkspaceTo, Sandbox, sandboxUser, type SandboxSpec } from '../../src/main/docker/sandbox'
import { requireDocker, testBaseImage, testImage } from '../support/docker'

export const rand = (): string => randomBytes(4).toString('hex')
export const RELEASE = 'https://deb.debian.org/debian/dists/bookworm/Release'

export let docker: Docker

/** Temporary directories of this file (hooks included), removed at its end. */
const dirs: string[] = []
export async function scratch(prefix: string, mode = 0o700): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  dirs.push(dir)
  await chmod(dir, mode)
  return dir
}

/** Registers the file's hooks: a Docker client before all, its temporary directories removed at its end. */
export function useDocker(): void {
  beforeAll(async () => {
    docker = await requireDocker()
  })
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })
}

export async function newSandbox(over: Partial<SandboxSpec> = {}): Promise<Sandbox> {
  const workspace = await scratch('codex-sandbox-net-')
  await giveWorkspaceTo(workspace, sandboxUser())
  return Sandbox.create(docker, {
    taskId: `test-net-${rand()}`,
    image: testImage(),
    workspace,
    memoryMb: 512,
    cpus: 1,
    pidsLimit: 256,
    tmpfsMb: 256,
    network: { kind: 'none' },
    ...over,
  })
}

export const sh = (sandbox: Sandbox, script: string, timeoutMs = 60_000) =>
  sandbox.exec(['sh', '-c', script], { timeoutMs })

let withoutHostCa: Promise<string> | undefined
/** The agent image built without the host's CAs (once, then cached by its tag). */
export function imageWithoutHostCa(): Promise<string> {
  const contextDir = new URL('../../agent-image', import.meta.url).pathname
  withoutHostCa ??= ensureAgentImage(docker, { contextDir, baseImage: testBaseImage() })
  return withoutHostCa
}
