import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type Docker from 'dockerode'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureAgentImage, imageExists } from '../../src/main/docker/image'
import { requireDocker, testBaseImage } from '../support/docker'
import { appErrorOf } from '../support/files'
import { tempDir } from '../support/tmp'

let docker: Docker
beforeAll(async () => {
  docker = await requireDocker()
})

async function context(dockerfile: string): Promise<string> {
  const dir = await tempDir('codex-image-')
  await writeFile(join(dir, 'Dockerfile'), dockerfile)
  // A unique file makes a unique tag, so runs never share an image.
  await writeFile(join(dir, 'nonce'), `${process.pid}-${Date.now()}-${Math.random()}`)
  return dir
}

describe('ensureAgentImage (real Docker)', () => {
  it('builds when missing with Step progress, then finds the tag without building', async () => {
    const dir = await context('ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY nonce /nonce\nRUN test -s /nonce\n')
    const progress: Array<[string, number | undefined]> = []
    const tag = await ensureAgentImage(docker, {
      contextDir: dir,
      baseImage: testBaseImage(),
      onProgress: (line, ratio) => progress.push([line, ratio]),
    })
    try {
      expect(tag).toMatch(/^codex-sys-agent:[0-9a-f]{12}$/)
      expect(await imageExists(docker, tag)).toBe(true)
      const ratios = progress.map(([, r]) => r).filter((r): r is number => r !== undefined)
      expect(ratios[0]).toBe(0)
      expect(ratios.at(-1)).toBe(1)
      expect([...ratios].sort((a, b) => a - b)).toEqual(ratios)
      expect(progress.some(([line]) => /^Step 4\/\d+ : RUN test -s \/nonce/.test(line))).toBe(true)
      let again = 0
      expect(
        await ensureAgentImage(docker, {
          contextDir: dir,
          baseImage: testBaseImage(),
          onProgress: () => again++,
        }),
      ).toBe(tag)
      expect(again).toBe(0)
    } finally {
      await docker.getImage(tag).remove({ force: true })
    }
  })

  it('fails with image_build_failed and the last lines when a step fails', async () => {
    const dir = await context('ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo about to fail && exit 3\n')
    const err = await appErrorOf(ensureAgentImage(docker, { contextDir: dir, baseImage: testBaseImage() }))
    expect(err.kind).toBe('image_build_failed')
    expect(err.message).toMatch(/returned a non-zero code: 3/)
    expect((err.details?.lastLines as string[]).join('\n')).toContain('about to fail')
  })

  it('says how to get a base image when it is missing', async () => {
    const dir = await context('ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n')
    // A registry on 127.0.0.1 that is not there: the pull fails at once, without leaving the machine.
    const base = '127.0.0.1:1/codex-sys-missing-base:none'
    const err = await appErrorOf(ensureAgentImage(docker, { contextDir: dir, baseImage: base }))
    expect(err.kind).toBe('image_missing')
    expect(err.message).toContain(base)
    expect(err.hint).toMatch(/docker pull debian:bookworm-slim/)
    expect(err.hint).toMatch(/scripts\/make-base-image\.sh/)
  })

  it('refuses a context without a Dockerfile', async () => {
    const dir = await tempDir('codex-image-')
    const err = await appErrorOf(ensureAgentImage(docker, { contextDir: dir, baseImage: testBaseImage() }))
    expect(err.kind).toBe('image_build_failed')
    expect(err.message).toMatch(/No Dockerfile/)
  })
})
