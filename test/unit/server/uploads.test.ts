import { existsSync } from 'node:fs'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { newUploadPath, receiveZip } from '../../../src/main/server/uploads'
import { buildZip } from '../../support/make-zip'
import { tempDir } from '../../support/tmp'

const chunks = (data: Buffer, size: number): Readable => {
  const parts: Buffer[] = []
  for (let i = 0; i < data.length; i += size) parts.push(data.subarray(i, i + size))
  return Readable.from(parts)
}

describe('receiving a ZIP upload', () => {
  it('writes the body to a private new file, however it is chunked', async () => {
    const dir = join(await tempDir(), 'uploads')
    const zip = buildZip([{ name: 'a.txt', data: 'a'.repeat(10_000) }])
    const path = await newUploadPath(dir)
    expect(await receiveZip(chunks(zip, 1), path, 1_000_000)).toBe(zip.length)
    expect(await readFile(path)).toEqual(zip)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect(path).not.toBe(await newUploadPath(dir))
  })

  it('refuses what is not a ZIP, empty bodies and bodies over the limit, leaving no file', async () => {
    const dir = await tempDir()
    const refuse = async (body: Buffer, limit = 1_000_000) => {
      const path = await newUploadPath(dir)
      const err = await receiveZip(chunks(body, 3), path, limit).catch((e: { status: number }) => e)
      expect(existsSync(path)).toBe(false)
      return (err as { status: number }).status
    }
    expect(await refuse(Buffer.from('not a zip at all'))).toBe(415)
    expect(await refuse(Buffer.alloc(0))).toBe(415)
    expect(await refuse(Buffer.from('PK'))).toBe(415)
    expect(await refuse(buildZip([{ name: 'a', data: Buffer.alloc(5000, 1), method: 'store' }]), 1000)).toBe(
      413,
    )
    expect(await readdir(dir)).toEqual([])
  })

  it('never overwrites an existing file', async () => {
    const dir = await tempDir()
    const path = await newUploadPath(dir)
    await receiveZip(Readable.from([buildZip([])]), path, 1000)
    await expect(receiveZip(Readable.from([buildZip([])]), path, 1000)).rejects.toMatchObject({
      code: 'EEXIST',
    })
  })
})
