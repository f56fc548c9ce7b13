/**
 * The prebuilt agent image: a real registry on 127.0.0.1 (Debian's docker-registry) holds an image and
 * its Codex variant under their content-hash tags; a fresh AgentImage pulls them instead of building,
 * re-tagged to the local names; with the registry stopped it builds them itself. The images are tiny
 * (FROM scratch, a unique nonce: a tag of their own), so the shared test image is never touched.
 */
import { execFile } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type Docker from 'dockerode'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImageProgressEvent } from '../../src/shared/events'
import { ensureAgentImage, imageExists, pullAgentImage, registryRef } from '../../src/main/docker/image'
import { ensureVariantImage } from '../../src/main/docker/variant-image'
import { AgentImage } from '../../src/main/engine/agent-image'
import { requireDocker, testBaseImage } from '../support/docker'
import { type LocalRegistry, startRegistry } from '../support/registry'
import { tempDir } from '../support/tmp'

const run = promisify(execFile)
let docker: Docker
let registry: LocalRegistry
beforeAll(async () => {
  docker = await requireDocker()
  registry = await startRegistry()
})
afterAll(async () => registry?.stop())

/** An agent-image/-shaped context: a tiny Dockerfile, and a codex/ variant built FROM it. */
async function context(): Promise<string> {
  const dir = await tempDir('codex-pull-image-')
  const nonce = `${process.pid}-${Date.now()}-${Math.random()}`
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY nonce /nonce\n')
  await writeFile(join(dir, 'nonce'), nonce)
  await mkdir(join(dir, 'codex'))
  await writeFile(
    join(dir, 'codex', 'Dockerfile'),
    'ARG AGENT_IMAGE\nFROM ${AGENT_IMAGE}\nCOPY nonce /codex-nonce\n',
  )
  await writeFile(join(dir, 'codex', 'nonce'), nonce)
  return dir
}

async function removeImages(...tags: string[]): Promise<void> {
  for (const tag of tags)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined)
}

/** Pushes a local image to the registry under the same content-hash tag, then drops the pushed name. */
async function push(localTag: string, repository: string): Promise<void> {
  const ref = registryRef(repository, localTag)
  await run('docker', ['tag', localTag, ref])
  await run('docker', ['push', '--quiet', ref], { timeout: 60_000 })
  await docker.getImage(ref).remove({ noprune: true })
}

function watch(image: AgentImage): string[] {
  const lines: string[] = []
  image.onProgress((event: ImageProgressEvent) => lines.push(event.line))
  return lines
}

describe('AgentImage with a registry (real docker-registry on 127.0.0.1)', () => {
  it('pulls the exact tags instead of building, and builds when the registry is gone', async () => {
    const contextDir = await context()
    const source = { contextDir, baseImage: testBaseImage() }
    const repository = `${registry.host}/codex-sys-agent`
    const agentTag = await ensureAgentImage(docker, source)
    const variantTag = await ensureVariantImage(docker, {
      contextDir,
      variant: 'codex',
      agentImage: agentTag,
    })
    try {
      await push(agentTag, repository)
      await push(variantTag, repository)
      await removeImages(variantTag, agentTag)
      expect(await imageExists(docker, agentTag)).toBe(false)

      const pulling = new AgentImage(docker, source, undefined, () => repository)
      const pulled = watch(pulling)
      expect(await pulling.ensure('codex')).toBe(variantTag)
      expect(await imageExists(docker, agentTag)).toBe(true)
      expect(await imageExists(docker, variantTag)).toBe(true)
      expect(pulled).toContain(`Pulling the prebuilt image ${registryRef(repository, agentTag)}`)
      expect(pulled).toContain(`Pulling the prebuilt image ${registryRef(repository, variantTag)}`)
      expect(pulled.some((line) => /^Digest: sha256:[0-9a-f]{64}$/.test(line))).toBe(true)
      expect(
        pulled.some((line) => line.startsWith(`Pulled ${registryRef(repository, agentTag)} (sha256:`)),
      ).toBe(true)
      expect(pulled.filter((line) => /^Step \d+\/\d+/.test(line))).toEqual([])
      // Only the local names are left: the registry's were re-tagged away.
      expect(await imageExists(docker, registryRef(repository, agentTag))).toBe(false)

      await removeImages(variantTag, agentTag)
      await registry.stop()
      const building = new AgentImage(docker, source, undefined, () => repository)
      const built = watch(building)
      const started = Date.now()
      expect(await building.ensure()).toBe(agentTag)
      expect(Date.now() - started).toBeLessThan(20_000)
      expect(
        built.some((line) => line.startsWith(`Could not pull ${registryRef(repository, agentTag)}`)),
      ).toBe(true)
      expect(built.some((line) => /^Step 2\/3 : COPY nonce \/nonce/.test(line))).toBe(true)
      expect(await imageExists(docker, agentTag)).toBe(true)
    } finally {
      await removeImages(variantTag, agentTag)
    }
  })

  it('never pulls with an empty registry setting: it builds', async () => {
    const contextDir = await context()
    const image = new AgentImage(docker, { contextDir, baseImage: testBaseImage() }, undefined, () => '')
    const lines = watch(image)
    const tag = await image.ensure()
    try {
      expect(lines.some((line) => line.startsWith('Pulling'))).toBe(false)
      expect(lines.some((line) => /^Step 1\/3 : FROM scratch/.test(line))).toBe(true)
    } finally {
      await removeImages(tag)
    }
  })

  it('gives up on a registry that accepts connections but never answers, within the idle time', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => sockets.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as { port: number }
    const lines: string[] = []
    const started = Date.now()
    try {
      const tag = 'codex-sys-agent:000000000000'
      const repository = `127.0.0.1:${port}/codex-sys-agent`
      expect(
        await pullAgentImage(docker, tag, {
          registry: repository,
          idleMs: 1500,
          onProgress: (l) => lines.push(l),
        }),
      ).toBe(false)
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(lines.at(-1)).toMatch(
        /^Could not pull 127\.0\.0\.1:\d+\/codex-sys-agent:000000000000 \(no answer from the registry\)/,
      )
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })
})
