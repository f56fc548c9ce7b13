/**
 * Engines of another platform: an arm64 build box (an engine double that says so, on 127.0.0.1) is
 * never sent this computer's image, which could not run there; it builds its own. The real local engine
 * says what it is as the docker CLI does.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { imageExists } from '../../src/main/docker/image'
import { enginePlatform, platformMismatch } from '../../src/main/docker/engine-platform'
import { AgentImage } from '../../src/main/engine/agent-image'
import { startPingOnlyEngine } from '../support/docker-ping-double'
import { requireDocker, testBaseImage } from '../support/docker'
import { tempDir } from '../support/tmp'

const run = promisify(execFile)
let docker: Docker
beforeAll(async () => {
  docker = await requireDocker()
})

async function armBox(): Promise<Docker> {
  const { host } = await startPingOnlyEngine({ arch: 'arm64' })
  const { hostname, port } = new URL(host.replace(/^tcp:/, 'http:'))
  return new Docker({ protocol: 'http', host: hostname, port: Number(port) })
}

describe('an engine’s platform', () => {
  it('is what the docker CLI says of the engine', async () => {
    const { stdout } = await run('docker', ['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}'])
    expect(await enginePlatform(docker)).toBe(stdout.trim())
    expect(await platformMismatch(docker, docker)).toBeUndefined()
  })

  it('keeps an image made here off an engine of another platform: it builds its own', async () => {
    const arm = await armBox()
    expect(await enginePlatform(arm)).toBe('linux/arm64')
    expect(await platformMismatch(docker, arm)).toMatch(/that one linux\/arm64/)

    // A context of its own (a tag nothing else has): were it copied, this engine would build it first.
    const contextDir = await tempDir('codex-platform-image-')
    await writeFile(join(contextDir, 'Dockerfile'), 'FROM scratch\nCOPY nonce /nonce\n')
    await writeFile(join(contextDir, 'nonce'), `${process.pid}-${Date.now()}-${Math.random()}`)
    const source = { contextDir, baseImage: testBaseImage() }
    const local = new AgentImage(docker, source)
    const remote = new AgentImage(arm, source, undefined, undefined, local)
    const tag = (await local.status()).tag!
    // Made here only if it were (wrongly) copied: removed then.
    onTestFinished(() =>
      docker
        .getImage(tag)
        .remove({ force: true })
        .then(
          () => undefined,
          () => undefined,
        ),
    )
    const lines: string[] = []
    remote.onProgress(({ line }) => lines.push(line))
    // The double builds nothing: the build there fails, and the point is what came before it.
    await expect(remote.ensure()).rejects.toThrow()
    expect(lines).toContain(
      `Not copying ${tag} (this computer's engine is ${await enginePlatform(docker)}, that one linux/arm64); building it there`,
    )
    expect(lines.some((l) => l.startsWith('Copying'))).toBe(false)
    expect(await imageExists(docker, tag)).toBe(false)
  })
})
