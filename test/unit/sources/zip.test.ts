import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importZip, type ImportProgress } from '../../../src/main/sources/zip'
import { LIMITS, archive, refused } from './zip-helpers'

const mode = (path: string): number => statSync(path).mode & 0o777

function bigText(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes)
  let x = 12345
  for (let i = 0; i < bytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    buf[i] = 97 + ((x >>> 16) % 26) // letters: compressible but not trivially
  }
  return buf
}

describe('importZip: a normal archive', () => {
  it('extracts contents, modes, nested and empty directories, and inside symlinks', async () => {
    const binary = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13])
    const { file, dest } = await archive([
      { name: 'README.md', data: '# hello\n' },
      { name: 'bin/run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o100755 },
      { name: 'src/', dir: true },
      { name: 'src/lib/deep/mod.ts', data: 'export const x = 1\n'.repeat(50) },
      { name: 'src/data.bin', data: binary, method: 'store' },
      { name: 'empty/', dir: true },
      { name: 'nested/empty/too/', dir: true },
      { name: 'docs/guide.md', data: '' },
      { name: 'link-to-readme', symlink: 'README.md' },
      { name: 'src/lib/up', symlink: '../data.bin' },
      { name: 'dos-file.txt', data: 'from windows', dos: true },
      { name: 'win\\style\\path.txt', data: 'backslashes', dos: true },
    ])
    const result = await importZip({ file, dest, limits: LIMITS })

    expect(readFileSync(join(dest, 'README.md'), 'utf8')).toBe('# hello\n')
    expect(readFileSync(join(dest, 'src/lib/deep/mod.ts'), 'utf8')).toBe('export const x = 1\n'.repeat(50))
    expect(readFileSync(join(dest, 'src/data.bin'))).toEqual(binary)
    expect(readFileSync(join(dest, 'docs/guide.md'), 'utf8')).toBe('')
    expect(readFileSync(join(dest, 'dos-file.txt'), 'utf8')).toBe('from windows')
    expect(readFileSync(join(dest, 'win/style/path.txt'), 'utf8')).toBe('backslashes')
    expect(mode(join(dest, 'bin/run.sh')) & 0o111).toBe(0o111)
    expect(mode(join(dest, 'README.md')) & 0o111).toBe(0)
    expect(mode(join(dest, 'dos-file.txt')) & 0o111).toBe(0)
    expect(readdirSync(join(dest, 'empty'))).toEqual([])
    expect(readdirSync(join(dest, 'nested/empty/too'))).toEqual([])
    expect(lstatSync(join(dest, 'link-to-readme')).isSymbolicLink()).toBe(true)
    expect(readlinkSync(join(dest, 'link-to-readme'))).toBe('README.md')
    expect(readlinkSync(join(dest, 'src/lib/up'))).toBe('../data.bin')
    expect(readdirSync(dest).sort()).toEqual(
      ['README.md', 'bin', 'docs', 'dos-file.txt', 'empty', 'link-to-readme', 'nested', 'src', 'win'].sort(),
    )
    expect(result.files).toBe(9)
    expect(result.bytes).toBe(8 + 18 + 19 * 50 + binary.length + 12 + 11)
  })

  it('reads ZIP64 archives and non-ASCII names', async () => {
    const cp437 = Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]) // "café.txt" in CP437
    const { file, dest } = await archive(
      [
        { name: 'données/é.txt', data: 'utf-8 name' },
        { name: cp437, data: 'cp437 name', method: 'store' },
      ],
      { zip64: true },
    )
    await importZip({ file, dest, limits: LIMITS })
    expect(readFileSync(join(dest, 'données/é.txt'), 'utf8')).toBe('utf-8 name')
    expect(readFileSync(join(dest, 'café.txt'), 'utf8')).toBe('cp437 name')
  })

  it('streams large entries (deflated and stored) and checks them', async () => {
    const big = bigText(12 << 20)
    const { file, dest } = await archive([
      { name: 'small.txt', data: 'a' },
      { name: 'big.txt', data: big },
      { name: 'big-stored.bin', data: big.subarray(0, 9 << 20), method: 'store' },
      { name: 'after.txt', data: 'z' },
    ])
    const result = await importZip({ file, dest, limits: LIMITS })
    expect(readFileSync(join(dest, 'big.txt')).equals(big)).toBe(true)
    expect(readFileSync(join(dest, 'big-stored.bin')).equals(big.subarray(0, 9 << 20))).toBe(true)
    expect(readFileSync(join(dest, 'after.txt'), 'utf8')).toBe('z')
    expect(result.bytes).toBe(2 + big.length + (9 << 20))
  })

  it('extracts into an existing empty directory, and refuses a non-empty one without touching it', async () => {
    const { root, file } = await archive([{ name: 'a.txt', data: 'a' }])
    const empty = join(root, 'empty')
    mkdirSync(empty)
    await importZip({ file, dest: empty, limits: LIMITS })
    expect(readdirSync(empty)).toEqual(['a.txt'])

    const full = join(root, 'full')
    mkdirSync(full)
    writeFileSync(join(full, 'keep.txt'), 'mine')
    await refused(importZip({ file, dest: full, limits: LIMITS }), 'conflict')
    expect(readdirSync(full)).toEqual(['keep.txt'])
  })
})

describe('importZip: top-level folder', () => {
  it('strips a single top-level folder (GitHub "Download ZIP")', async () => {
    const { file, dest } = await archive([
      { name: 'repo-main/', dir: true },
      { name: 'repo-main/README.md', data: 'hi' },
      { name: 'repo-main/src/index.ts', data: 'x' },
      { name: 'repo-main/empty/', dir: true },
    ])
    await importZip({ file, dest, limits: LIMITS })
    expect(readdirSync(dest).sort()).toEqual(['README.md', 'empty', 'src'])
    expect(readFileSync(join(dest, 'src/index.ts'), 'utf8')).toBe('x')
  })

  it('strips it even without an explicit directory entry', async () => {
    const { file, dest } = await archive([
      { name: 'proj/a.txt', data: 'a' },
      { name: 'proj/b/c.txt', data: 'c' },
    ])
    await importZip({ file, dest, limits: LIMITS })
    expect(readdirSync(dest).sort()).toEqual(['a.txt', 'b'])
  })

  it('keeps the layout when there are two roots, or a single file at the root', async () => {
    const two = await archive([
      { name: 'one/a.txt', data: 'a' },
      { name: 'two/b.txt', data: 'b' },
    ])
    await importZip({ file: two.file, dest: two.dest, limits: LIMITS })
    expect(readdirSync(two.dest).sort()).toEqual(['one', 'two'])

    const mixed = await archive([
      { name: 'one/a.txt', data: 'a' },
      { name: 'README', data: 'r' },
    ])
    await importZip({ file: mixed.file, dest: mixed.dest, limits: LIMITS })
    expect(readdirSync(mixed.dest).sort()).toEqual(['README', 'one'])

    const single = await archive([{ name: 'only.txt', data: 'o' }])
    await importZip({ file: single.file, dest: single.dest, limits: LIMITS })
    expect(readdirSync(single.dest)).toEqual(['only.txt'])
  })
})

describe('importZip: progress and abort', () => {
  it('reports progress up to every entry and byte', async () => {
    const entries = Array.from({ length: 300 }, (_, i) => ({
      name: `d${i % 7}/f${i}.txt`,
      data: `file ${i}\n`,
    }))
    const { file, dest } = await archive([{ name: 'd0/', dir: true }, ...entries])
    const seen: ImportProgress[] = []
    const result = await importZip({ file, dest, limits: LIMITS, onProgress: (p) => seen.push({ ...p }) })
    expect(seen.length).toBeGreaterThanOrEqual(2)
    const last = seen[seen.length - 1]
    expect(last).toEqual({ entries: 301, totalEntries: 301, bytes: result.bytes })
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.entries).toBeGreaterThanOrEqual(seen[i - 1]!.entries)
      expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes)
    }
  })

  it('cancels before starting, leaving nothing', async () => {
    const { root, file, dest } = await archive([{ name: 'a.txt', data: 'a' }])
    await refused(importZip({ file, dest, limits: LIMITS, signal: AbortSignal.abort() }), 'cancelled')
    expect(readdirSync(root)).toEqual(['archive.zip'])
  })

  it('cancels mid-way (small files), leaving nothing', async () => {
    const entries = Array.from({ length: 500 }, (_, i) => ({ name: `f${i}.txt`, data: `file ${i}\n` }))
    const { root, file, dest } = await archive(entries)
    const ctl = new AbortController()
    await refused(
      importZip({ file, dest, limits: LIMITS, signal: ctl.signal, onProgress: () => ctl.abort() }),
      'cancelled',
    )
    expect(readdirSync(root)).toEqual(['archive.zip'])
  })

  it('cancels while streaming a large entry, and an existing destination is left empty', async () => {
    const { root, file } = await archive([
      { name: 'a.txt', data: 'a' },
      { name: 'big.txt', data: bigText(16 << 20) },
    ])
    const dest = join(root, 'dest')
    mkdirSync(dest)
    const ctl = new AbortController()
    const onProgress = (p: ImportProgress): void => {
      if (p.bytes > 1 << 20) ctl.abort()
    }
    await refused(importZip({ file, dest, limits: LIMITS, signal: ctl.signal, onProgress }), 'cancelled')
    expect(readdirSync(dest)).toEqual([])
  })
})
