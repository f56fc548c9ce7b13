import {
  chmod,
  lstat,
  mkdir,
  open,
  readFile,
  readlink,
  readdir,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { importFolder } from '../../../src/main/sources/folder'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** How many files (not folders) are under `dir`, now. */
function filesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
}

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name
    if (entry.isDirectory()) out.push(...(await listTree(join(dir, entry.name), rel + '/')))
    else out.push(rel)
  }
  return out.sort()
}

describe('importFolder', () => {
  it('copies files, modes and nested dirs, skipping .git and what .gitignore excludes', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    await writeFiles(src, {
      'README.md': '# hi\n',
      'src/app.ts': 'export const a = 1\n',
      'build/out.js': 'compiled',
      'logs/keep.log': 'kept by negation',
      'logs/drop.log': 'dropped',
      '.gitignore': 'build/\n*.log\n!keep.log\n',
      'pkg/.gitignore': 'secret.txt\n',
      'pkg/secret.txt': 'nope',
      'pkg/index.ts': 'ok',
      '.git/config': '[core]',
      'node_modules/x/index.js': 'x',
    })
    await writeFile(join(src, '.gitignore'), 'build/\n*.log\n!keep.log\nnode_modules\n')
    await chmod(join(src, 'src/app.ts'), 0o755)

    const dest = join(root, 'ws')
    const result = await importFolder({ source: src, dest })

    expect(await listTree(dest)).toEqual([
      '.gitignore',
      'README.md',
      'logs/keep.log',
      'pkg/.gitignore',
      'pkg/index.ts',
      'src/app.ts',
    ])
    expect(result.files).toBe(6)
    expect(await readFile(join(dest, 'src/app.ts'), 'utf8')).toBe('export const a = 1\n')
    expect((await stat(join(dest, 'src/app.ts'))).mode & 0o777).toBe(0o755)
    expect(await readFile(join(src, 'build/out.js'), 'utf8')).toBe('compiled') // original untouched
  })

  it('copies symlinks as links and never follows them', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    const outside = join(root, 'outside')
    await writeFiles(outside, { 'secret.txt': 'outside' })
    await writeFiles(src, { 'a.txt': 'a' })
    await symlink(outside, join(src, 'escape'))
    await symlink('a.txt', join(src, 'alias'))

    const dest = join(root, 'ws')
    await importFolder({ source: src, dest })

    expect((await lstat(join(dest, 'escape'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(dest, 'escape'))).toBe(outside)
    expect(await readlink(join(dest, 'alias'))).toBe('a.txt')
    expect(await listTree(dest)).toEqual(['a.txt', 'alias', 'escape'])
  })

  it('copies large files whole', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    const big = Buffer.alloc(3 * 1024 * 1024, 7)
    await mkdir(src)
    await writeFile(join(src, 'big.bin'), big)
    const dest = join(root, 'ws')
    const result = await importFolder({ source: src, dest })
    expect((await readFile(join(dest, 'big.bin'))).equals(big)).toBe(true)
    expect(result.bytes).toBe(big.length)
  })

  it('refuses a missing folder, a file, and a destination inside the source', async () => {
    const root = await tempDir()
    await writeFiles(root, { 'file.txt': 'x' })
    await expect(importFolder({ source: join(root, 'nope'), dest: join(root, 'd1') })).rejects.toMatchObject({
      kind: 'not_found',
    })
    await expect(
      importFolder({ source: join(root, 'file.txt'), dest: join(root, 'd2') }),
    ).rejects.toMatchObject({
      kind: 'invalid_input',
    })
    await expect(importFolder({ source: root, dest: join(root, 'inside') })).rejects.toMatchObject({
      kind: 'invalid_input',
    })
    expect(await listTree(root)).toEqual(['file.txt'])
  })

  it('leaves nothing behind when cancelled midway', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    const files: Record<string, string> = {}
    for (let i = 0; i < 5000; i++) files[`d${i % 30}/f${i}.txt`] = `file ${i}\n`
    await writeFiles(src, files)

    const controller = new AbortController()
    let filesAtAbort = 0
    const copying = importFolder({
      source: src,
      dest: join(root, 'ws'),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.files > 0 && !filesAtAbort) {
          filesAtAbort = p.files
          controller.abort()
        }
      },
    })
    await expect(copying).rejects.toMatchObject({ kind: 'cancelled' })
    expect(filesAtAbort).toBeGreaterThan(0)
    expect(filesAtAbort).toBeLessThan(5000)
    await expect(stat(join(root, 'ws'))).rejects.toThrow()
  })

  it('reports progress while it copies, not only at the end: several reports, increasing', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    const dest = join(root, 'ws')
    const files: Record<string, string> = {}
    for (let i = 0; i < 2000; i++) files[`d${i % 40}/f${i}.txt`] = `file ${i}\n`
    await writeFiles(src, files)
    // A clock that moves 16 ms per reading: every slice of the copy (15 ms) ends after one folder, so
    // reports come at the same points on a fast machine and a slow one.
    let now = 0
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 16))
    onTestFinished(() => clock.mockRestore())
    const seen: Array<{ files: number; bytes: number; onDisk: number }> = []
    await importFolder({
      source: src,
      dest,
      onProgress: (p) => seen.push({ ...p, onDisk: filesUnder(dest) }),
    })
    clock.mockRestore()

    const during = seen.filter((p) => p.files > 0 && p.files < 2000)
    expect(during.length).toBeGreaterThanOrEqual(10)
    // Each came while the copy was under way: the workspace did not hold every file yet.
    expect(during.every((p) => p.onDisk === p.files && p.onDisk < 2000)).toBe(true)
    for (let i = 1; i < during.length; i++) {
      expect(during[i]!.files).toBeGreaterThan(during[i - 1]!.files)
      expect(during[i]!.bytes).toBeGreaterThan(during[i - 1]!.bytes)
    }
    expect(seen.at(-1)).toMatchObject({ files: 2000, onDisk: 2000 })
  })

  it('never removes a destination it did not create: a non-empty one is refused untouched', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    await writeFiles(src, { 'a.txt': 'a\n' })
    const dest = join(root, 'ws')
    await writeFiles(dest, { 'first-turn-work.txt': 'keep me\n' })
    await expect(importFolder({ source: src, dest })).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('not an empty folder'),
    })
    expect(await readFile(join(dest, 'first-turn-work.txt'), 'utf8')).toBe('keep me\n')
  })

  it('on failure empties an existing empty destination but leaves the folder itself', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    await writeFiles(src, { 'a.txt': 'a\n', 'b/c.txt': 'c\n' })
    const dest = join(root, 'ws')
    await mkdir(dest)
    await expect(importFolder({ source: src, dest, maxBytes: 2 })).rejects.toMatchObject({
      kind: 'budget_exceeded',
      message: expect.stringContaining('more than'),
    })
    expect(await readdir(dest)).toEqual([])
  })

  it('copies a large sparse file hole for hole, off the event loop', async () => {
    const root = await tempDir()
    const src = join(root, 'src')
    await writeFiles(src, { 'a.txt': 'a\n' })
    const big = join(src, 'disk.img')
    await writeFile(big, 'header')
    await truncate(big, 3 * 1024 ** 3)
    const dest = join(root, 'ws')
    let longest = 0
    let last = performance.now()
    const timer = setInterval(() => {
      longest = Math.max(longest, performance.now() - last)
      last = performance.now()
    }, 5)
    const result = await importFolder({ source: src, dest }).finally(() => clearInterval(timer))
    expect(result.bytes).toBe(3 * 1024 ** 3 + 2)
    const copied = await stat(join(dest, 'disk.img'))
    expect(copied.size).toBe(3 * 1024 ** 3)
    expect(copied.blocks * 512).toBeLessThan(16 * 1024 ** 2)
    expect(longest).toBeLessThan(1000)
    const fd = await open(join(dest, 'disk.img'), 'r')
    const head = Buffer.alloc(6)
    await fd.read(head, 0, 6, 0)
    await fd.close()
    expect(head.toString()).toBe('header')
  })
})
