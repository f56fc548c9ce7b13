/**
 * The agent image built with the host's CA bundle: its RUN steps fetch over HTTPS behind the proxy.
 * Shared setup: sandbox-network-setup.ts (no peers needed here).
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ensureAgentImage, hostCaFile } from '../../src/main/docker/image'
import { collectCaBundle, parseCertificates } from '../../src/main/network/ca-bundle'
import { appErrorOf } from '../support/files'
import { testBaseImage, testImage } from '../support/docker'
import {
  docker,
  imageWithoutHostCa,
  newSandbox,
  RELEASE,
  scratch,
  sh,
  useDocker,
} from './sandbox-network-setup'

useDocker()

describe('the agent image, built with the host’s bundle', () => {
  const agentImageDir = new URL('../../agent-image', import.meta.url).pathname

  async function derived(from: string): Promise<string> {
    const dir = await scratch('codex-image-')
    await writeFile(
      join(dir, 'Dockerfile'),
      `ARG BASE_IMAGE\nFROM \${BASE_IMAGE}\nRUN curl -sSf ${RELEASE} -o /dev/null\n`,
    )
    await writeFile(join(dir, 'nonce'), `${process.pid}-${Date.now()}-${Math.random()}`)
    return ensureAgentImage(docker, { contextDir: dir, baseImage: from })
  }

  it('trusts the host’s extra CAs itself, so RUN steps fetching over HTTPS work behind the proxy', async () => {
    const bundle = await collectCaBundle()
    const progress: string[] = []
    const withoutCa = await imageWithoutHostCa()
    const tag = await ensureAgentImage(docker, {
      contextDir: agentImageDir,
      baseImage: testBaseImage(),
      caBundle: bundle.pem,
      onProgress: (line) => progress.push(line),
    })
    // A new CA, a new tag; the engine (and the tests' image) build the same one.
    expect(tag).not.toBe(withoutCa)
    expect(tag).toBe(testImage())
    const extras = parseCertificates(hostCaFile(bundle.pem)).certs.length
    expect(extras).toBeGreaterThanOrEqual(1)

    const sandbox = await newSandbox({ image: tag, network: { kind: 'full' } })
    try {
      const installed = await sh(sandbox, 'ls /usr/local/share/ca-certificates/codex-host | wc -l')
      expect(Number(installed.stdout.trim())).toBe(extras)
      const curl = await sh(sandbox, `curl -sSf ${RELEASE} -o /dev/null`)
      expect(curl.exitCode, curl.stderr).toBe(0)
    } finally {
      await sandbox.remove()
    }

    // A build step fetching over HTTPS: works on this image, fails (certificate) on one without the CA.
    const ok = await derived(tag)
    await docker.getImage(ok).remove({ force: true })
    const err = await appErrorOf(derived(withoutCa))
    expect(err.kind).toBe('image_build_failed')
    expect((err.details?.lastLines as string[]).join('\n')).toMatch(/SSL certificate problem/)
  }, 600_000)
})
