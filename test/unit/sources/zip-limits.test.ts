import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importZip } from '../../../src/main/sources/zip'
import { buildZip } from '../../support/make-zip'
import { tempDir } from '../../support/tmp'
import { LIMITS, archive, expectNothingLeft, refused } from './zip-helpers'

const files = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}.txt`, data: `${i}` }))

describe('importZip limits and bombs', () => {
  it('refuses more entries than allowed', async () => {
    const { root, file, dest } = await archive(files(6))
    await refused(
      importZip({ file, dest, limits: { ...LIMITS, maxEntries: 5 } }),
      'unsafe_archive',
      /6 entries/,
    )
    expectNothingLeft(root, dest)
  })

  it('refuses a declared entry count above the limit before reading entries', async () => {
    const { root, file, dest } = await archive(files(2), { zip64: true, entryCount: 5_000_000 })
    await refused(importZip({ file, dest, limits: LIMITS }), 'unsafe_archive', /5000000 entries/)
    expectNothingLeft(root, dest)
  })

  it('refuses more declared bytes than allowed', async () => {
    const { root, file, dest } = await archive([
      { name: 'a.bin', data: Buffer.alloc(600, 1) },
      { name: 'b.bin', data: Buffer.alloc(600, 2) },
    ])
    await refused(
      importZip({ file, dest, limits: { ...LIMITS, maxBytes: 1000 } }),
      'unsafe_archive',
      /1200 bytes/,
    )
    expectNothingLeft(root, dest)
  })

  it('refuses an entry whose ratio is too high (a zip bomb)', async () => {
    const { root, file, dest } = await archive([{ name: 'zeros.bin', data: Buffer.alloc(4 << 20) }])
    const err = await refused(
      importZip({ file, dest, limits: { ...LIMITS, maxRatio: 100 } }),
      'unsafe_archive',
    )
    expect(err.message).toContain('zeros.bin')
    expectNothingLeft(root, dest)
  })

  it('refuses an archive whose overall ratio is too high, even with small entries', async () => {
    const entries = Array.from({ length: 8 }, (_, i) => ({
      name: `z${i}.bin`,
      data: Buffer.alloc(512 << 10),
    }))
    const { root, file, dest } = await archive(entries)
    await refused(
      importZip({ file, dest, limits: { ...LIMITS, maxRatio: 100 } }),
      'unsafe_archive',
      /ZIP bomb/,
    )
    expectNothingLeft(root, dest)
  })

  it('refuses overlapping entries (the overlapping-files bomb)', async () => {
    const { root, file, dest } = await archive([
      { name: 'kernel.bin', data: Buffer.alloc(100_000) },
      { name: 'copy1.bin', data: Buffer.alloc(100_000), sameDataAs: 0 },
      { name: 'copy2.bin', data: Buffer.alloc(100_000), sameDataAs: 0 },
    ])
    await refused(importZip({ file, dest, limits: LIMITS }), 'unsafe_archive', /overlaps/)
    expectNothingLeft(root, dest)
  })

  it('refuses a small entry that inflates to more than it declares, and cleans up what was written', async () => {
    const { root, file, dest } = await archive([
      { name: 'honest.txt', data: 'honest' },
      { name: 'liar.bin', data: Buffer.alloc(1 << 20), declaredSize: 1000 },
    ])
    await refused(importZip({ file, dest, limits: LIMITS }), 'unsafe_archive', /liar\.bin.*more than/)
    expectNothingLeft(root, dest)
  })

  it('counts the real bytes of a streamed entry that lies about its size', async () => {
    const { root, file, dest } = await archive([
      { name: 'first.txt', data: 'first' },
      { name: 'liar.bin', data: Buffer.alloc(24 << 20, 7), declaredSize: 9 << 20 },
    ])
    await refused(importZip({ file, dest, limits: LIMITS }), 'unsafe_archive', /liar\.bin.*more than/)
    expectNothingLeft(root, dest)
  })
})

describe('importZip on bad files', () => {
  it('a missing file is not_found', async () => {
    const root = await tempDir()
    const dest = join(root, 'dest')
    await refused(importZip({ file: join(root, 'nope.zip'), dest, limits: LIMITS }), 'not_found', /nope\.zip/)
    expect(existsSync(dest)).toBe(false)
  })

  it('a directory is not an archive', async () => {
    const root = await tempDir()
    mkdirSync(join(root, 'dir.zip'))
    await refused(
      importZip({ file: join(root, 'dir.zip'), dest: join(root, 'd'), limits: LIMITS }),
      'import_failed',
    )
    expect(existsSync(join(root, 'd'))).toBe(false)
  })

  it.each([
    ['a text file', Buffer.from('this is not a zip file\n'.repeat(20))],
    ['an empty file', Buffer.alloc(0)],
    ['a truncated archive', buildZip(files(20)).subarray(0, 700)],
  ])('%s is not a valid ZIP archive', async (_what, bytes) => {
    const root = await tempDir()
    const file = join(root, 'bad.zip')
    writeFileSync(file, bytes)
    const dest = join(root, 'dest')
    await refused(
      importZip({ file, dest, limits: LIMITS }),
      'import_failed',
      /"bad\.zip" is not a valid ZIP archive/,
    )
    expect(existsSync(dest)).toBe(false)
  })

  it('an entry count that wrapped at 65,535 (no ZIP64) is refused, not imported in part', async () => {
    const root = await tempDir()
    const file = join(root, 'wrapped.zip')
    const entries = Array.from({ length: 65_540 }, (_, i) => ({
      name: `f${i}`,
      data: '',
      method: 'store' as const,
    }))
    writeFileSync(file, buildZip(entries))
    const dest = join(root, 'dest')
    const err = await refused(
      importZip({ file, dest, limits: { ...LIMITS, maxEntries: 100_000 } }),
      'import_failed',
      /not a valid ZIP archive/,
    )
    expect(err.details?.reason).toMatch(/more records than the archive declares/)
    expect(existsSync(dest)).toBe(false)
  })

  it('corrupt entry data fails the import and leaves nothing', async () => {
    const bytes = buildZip([
      { name: 'a.txt', data: 'all good here' },
      { name: 'b.txt', data: 'this one will be damaged '.repeat(40), method: 'store' },
    ])
    const at = bytes.indexOf('damaged')
    bytes[at] = 'D'.charCodeAt(0)
    const root = await tempDir()
    const file = join(root, 'archive.zip')
    writeFileSync(file, bytes)
    const dest = join(root, 'work', 'dest')
    await refused(importZip({ file, dest, limits: LIMITS }), 'import_failed', /b\.txt.*checksum/)
    expectNothingLeft(root, dest)
  })

  it('an archive cut inside its data (central directory intact elsewhere) fails cleanly', async () => {
    const good = buildZip([{ name: 'a.txt', data: Buffer.alloc(3000, 1), method: 'store' }])
    // Keep the central directory and end record, but claim the data lives beyond them.
    const bytes = Buffer.from(good)
    const cdAt = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    bytes.writeUInt32LE(2000, cdAt + 42)
    const root = await tempDir()
    const file = join(root, 'archive.zip')
    writeFileSync(file, bytes)
    const err = await importZip({ file, dest: join(root, 'dest'), limits: LIMITS }).catch((e: unknown) => e)
    expect((err as { kind?: string }).kind).toMatch(/import_failed|unsafe_archive/)
    expect(existsSync(join(root, 'dest'))).toBe(false)
  })

  it('refuses encrypted entries clearly', async () => {
    const { root, file, dest } = await archive([{ name: 'secret.txt', data: 'x', flags: 0x1 }])
    await refused(importZip({ file, dest, limits: LIMITS }), 'import_failed', /encrypted/)
    expectNothingLeft(root, dest)
  })

  it('refuses unsupported compression methods clearly', async () => {
    const { root, file, dest } = await archive([{ name: 'b.txt', data: 'x', methodId: 12 }])
    await refused(importZip({ file, dest, limits: LIMITS }), 'import_failed', /compression method \(12\)/)
    expectNothingLeft(root, dest)
  })

  it('does not touch the archive', async () => {
    const { file, dest } = await archive(files(3))
    const before = readFileSync(file)
    await importZip({ file, dest, limits: LIMITS })
    expect(readFileSync(file).equals(before)).toBe(true)
  })
})
