import { execFileSync } from 'node:child_process'
import {
  chmod,
  link,
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  clearSetupCache,
  evictSetupCache,
  restoreSetupCache,
  saveSetupCache,
  setupCacheUsage,
} from '../../../src/main/engine/setup-cache'
import { spareCopiesSettled } from '../../../src/main/engine/setup-cache-spare'
import { snapshotWorkspace } from '../../../src/main/engine/setup-cache-tree'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** The setup cache on real directories (engine/setup-cache*.ts): what is kept, how it comes back. */
const KEY = 'a'.repeat(64)
const OTHER_KEY = 'b'.repeat(64)

async function setting(): Promise<{ ws: string; fresh: string; cacheRoot: string; outside: string }> {
  const root = await tempDir('codex-setup-cache-')
  const ws = join(root, 'workspace')
  const fresh = join(root, 'fresh')
  await writeFiles(ws, { 'package.json': '{}\n', 'src/a.ts': 'a\n', '.git/HEAD': 'ref\n' })
  await writeFiles(fresh, { 'package.json': '{}\n', 'src/a.ts': 'a\n' })
  const outside = join(root, 'outside')
  await writeFiles(outside, { 'secret.txt': 'host secret\n' })
  return { ws, fresh, cacheRoot: join(root, 'cache'), outside }
}

/** Every path below `dir`, sorted, never through a link (find does not follow them). */
async function listing(dir: string): Promise<string[]> {
  const out = execFileSync('find', [dir, '-mindepth', '1', '-printf', '%P\\n'], { encoding: 'utf8' })
  return out.split('\n').filter(Boolean).sort()
}

// The spares copied in the background are done before each test's folders go.
afterEach(spareCopiesSettled)

describe('saveSetupCache / restoreSetupCache', () => {
  it('moves a ready spare into a fresh workspace, never the entry itself, and copies the next one behind', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const before = await snapshotWorkspace(ws)
    await writeFiles(ws, { 'node_modules/x/index.js': 'x\n' })
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    await spareCopiesSettled()
    const master = join(cacheRoot, KEY, 'tree/node_modules/x/index.js')
    const spareIno = (await stat(join(cacheRoot, KEY, 'spare/tree/node_modules/x/index.js'))).ino
    await restoreSetupCache(cacheRoot, KEY, fresh)
    const restored = await stat(join(fresh, 'node_modules/x/index.js'))
    expect(restored.ino).toBe(spareIno)
    expect(restored.ino).not.toBe((await stat(master)).ino)
    // The sandbox edits what it got: the entry keeps its own; the next spare is a fresh copy of it.
    await writeFile(join(fresh, 'node_modules/x/index.js'), 'poisoned\n')
    await spareCopiesSettled()
    expect(await readFile(master, 'utf8')).toBe('x\n')
    const next = join(cacheRoot, KEY, 'spare/tree/node_modules/x/index.js')
    expect(await readFile(next, 'utf8')).toBe('x\n')
    expect((await stat(next)).ino).not.toBe(restored.ino)
  })

  it('a restore that comes while the spare is still being copied waits for it and moves it in', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const before = await snapshotWorkspace(ws)
    const files: Record<string, string> = {}
    for (let i = 0; i < 400; i++) files[`node_modules/p${i}/index.js`] = `module.exports = ${i}\n`
    await writeFiles(ws, files)
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    // The spare of the new entry is being copied now: the restore right behind it still gets it whole.
    const restored = await restoreSetupCache(cacheRoot, KEY, fresh)
    expect(restored?.fromSpare).toBe(true)
    expect(await readFile(join(fresh, 'node_modules/p399/index.js'), 'utf8')).toBe('module.exports = 399\n')
    // Without a spare (just taken, the next one not made yet), a restore copies from the entry.
    const again = join(dirname(fresh), 'again')
    await writeFiles(again, { 'package.json': '{}\n' })
    await spareCopiesSettled()
    await rm(join(cacheRoot, KEY, 'spare'), { recursive: true })
    expect((await restoreSetupCache(cacheRoot, KEY, again))?.fromSpare).toBe(false)
    expect(await readFile(join(again, 'node_modules/p0/index.js'), 'utf8')).toBe('module.exports = 0\n')
  })

  it('keeps only what setup created or changed, and restores it byte for byte with modes', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const before = await snapshotWorkspace(ws)
    await writeFiles(ws, { 'node_modules/x/index.js': 'module.exports = 1\n', 'package.json': '{"v":1}\n' })
    await writeFile(join(ws, 'node_modules/x/cli'), '#!/bin/sh\n')
    await chmod(join(ws, 'node_modules/x/cli'), 0o755)
    await writeFile(join(ws, '.git/HEAD'), 'changed by setup\n')
    const meta = await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 3210 })
    expect(meta).toMatchObject({ files: 3, dirs: 2, durationMs: 3210 })
    expect(await listing(join(cacheRoot, KEY, 'tree'))).toEqual([
      'node_modules',
      'node_modules/x',
      'node_modules/x/cli',
      'node_modules/x/index.js',
      'package.json',
    ])
    const restored = await restoreSetupCache(cacheRoot, KEY, fresh)
    expect(restored?.durationMs).toBe(3210)
    expect(await readFile(join(fresh, 'node_modules/x/index.js'), 'utf8')).toBe('module.exports = 1\n')
    expect(await readFile(join(fresh, 'package.json'), 'utf8')).toBe('{"v":1}\n')
    expect((await stat(join(fresh, 'node_modules/x/cli'))).mode & 0o777).toBe(0o755)
    // A fresh copy, not the cache's file: writing the workspace leaves the entry as it was.
    await writeFile(join(fresh, 'node_modules/x/index.js'), 'agent edit\n')
    const again = join(fresh, '..', 'again')
    await writeFiles(again, { 'src/a.ts': 'a\n' })
    await restoreSetupCache(cacheRoot, KEY, again)
    expect(await readFile(join(again, 'node_modules/x/index.js'), 'utf8')).toBe('module.exports = 1\n')
  })

  it('keeps what setup wrote to HOME and restores it into the next task’s HOME', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const home = join(ws, '..', 'home')
    const freshHome = join(ws, '..', 'fresh-home')
    await writeFiles(home, { '.bashrc': 'old\n' })
    const before = await snapshotWorkspace(ws)
    const homeBefore = await snapshotWorkspace(home)
    await writeFiles(home, {
      '.local/bin/tool': '#!/bin/sh\n',
      // Download caches: not kept (what they fed is installed already).
      '.cache/pip/wheel': 'w\n',
      '.npm/_cacache/index-v5/ab': 'entry\n',
    })
    const save = { cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 }
    await saveSetupCache({ ...save, home: { dir: home, before: homeBefore } })
    await mkdir(freshHome)
    await restoreSetupCache(cacheRoot, KEY, fresh, freshHome)
    expect(await listing(freshHome)).toEqual(['.cache', '.local', '.local/bin', '.local/bin/tool', '.npm'])
  })

  it('is a miss for another key, and a corrupt entry throws', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const before = await snapshotWorkspace(ws)
    await writeFiles(ws, { 'node_modules/x/index.js': 'x\n' })
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    expect(await restoreSetupCache(cacheRoot, OTHER_KEY, fresh)).toBeUndefined()
    await writeFile(join(cacheRoot, KEY, 'meta.json'), '{not json')
    await expect(restoreSetupCache(cacheRoot, KEY, fresh)).rejects.toThrow()
    await expect(restoreSetupCache(cacheRoot, '../etc', fresh)).rejects.toThrow(/64 hex/)
  })

  it('keeps a link setup made to outside as a link, skips a FIFO, copies a hard link as a new file', async () => {
    const { ws, fresh, cacheRoot, outside } = await setting()
    const before = await snapshotWorkspace(ws)
    await mkdir(join(ws, 'node_modules'))
    await symlink(join(outside, 'secret.txt'), join(ws, 'node_modules/escape'))
    await symlink(outside, join(ws, 'node_modules/escape-dir'))
    execFileSync('mkfifo', [join(ws, 'node_modules/pipe')])
    await link(join(outside, 'secret.txt'), join(ws, 'node_modules/hard'))
    const meta = await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    expect(meta).toMatchObject({ links: 2, skipped: 1, files: 1 })
    await restoreSetupCache(cacheRoot, KEY, fresh)
    expect((await lstat(join(fresh, 'node_modules/escape'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(fresh, 'node_modules/escape'))).toBe(join(outside, 'secret.txt'))
    expect((await lstat(join(fresh, 'node_modules/escape-dir'))).isSymbolicLink()).toBe(true)
    // Nothing of the linked directory was copied: only the link.
    expect(await listing(join(cacheRoot, KEY, 'tree'))).toEqual([
      'node_modules',
      'node_modules/escape',
      'node_modules/escape-dir',
      'node_modules/hard',
    ])
    await expect(lstat(join(fresh, 'node_modules/pipe'))).rejects.toThrow(/ENOENT/)
    const hard = await stat(join(fresh, 'node_modules/hard'))
    expect(hard.nlink).toBe(1)
    expect(hard.ino).not.toBe((await stat(join(outside, 'secret.txt'))).ino)
  })

  it('never restores through a link the fresh workspace has where the entry has a directory', async () => {
    const { ws, fresh, cacheRoot, outside } = await setting()
    const before = await snapshotWorkspace(ws)
    await writeFiles(ws, { 'node_modules/x/index.js': 'x\n' })
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    // The next repository commits node_modules as a link to a host directory: the link is replaced.
    await symlink(outside, join(fresh, 'node_modules'))
    await restoreSetupCache(cacheRoot, KEY, fresh)
    expect((await lstat(join(fresh, 'node_modules'))).isDirectory()).toBe(true)
    expect(await readFile(join(fresh, 'node_modules/x/index.js'), 'utf8')).toBe('x\n')
    expect(await listing(outside)).toEqual(['secret.txt'])
  })

  it('deletes again on restore what setup deleted, only the topmost of a deleted tree', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const files = { 'legacy/a.js': 'a\n', 'legacy/deep/b.js': 'b\n', 'stale.lock': 'x\n' }
    await writeFiles(ws, files)
    await writeFiles(fresh, files)
    const before = await snapshotWorkspace(ws)
    await rm(join(ws, 'legacy'), { recursive: true })
    await rm(join(ws, 'stale.lock'))
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    const deleted = JSON.parse(await readFile(join(cacheRoot, KEY, 'deleted.json'), 'utf8'))
    expect(deleted).toEqual({ tree: ['legacy', 'stale.lock'], home: [] })
    await restoreSetupCache(cacheRoot, KEY, fresh)
    expect(await listing(fresh)).toEqual(['package.json', 'src', 'src/a.ts'])
  })

  it('never deletes through a link the fresh workspace has where setup deleted below a directory', async () => {
    const { ws, fresh, cacheRoot, outside } = await setting()
    await writeFiles(ws, { 'cfg/secret.txt': 'x\n' })
    const before = await snapshotWorkspace(ws)
    await rm(join(ws, 'cfg/secret.txt'))
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    // The next repository commits cfg as a link to a host directory holding a file of that name.
    await symlink(outside, join(fresh, 'cfg'))
    await expect(restoreSetupCache(cacheRoot, KEY, fresh)).rejects.toThrow(/symbolic link/)
    expect(await listing(outside)).toEqual(['secret.txt'])
  })

  it('throws (the caller runs setup) where the fresh workspace has a directory for a saved file', async () => {
    const { ws, fresh, cacheRoot } = await setting()
    const before = await snapshotWorkspace(ws)
    await writeFiles(ws, { 'build/out': 'x\n' })
    await saveSetupCache({ cacheRoot, key: KEY, workspace: ws, before, durationMs: 1 })
    await mkdir(join(fresh, 'build/out'), { recursive: true })
    await expect(restoreSetupCache(cacheRoot, KEY, fresh)).rejects.toThrow(/is a directory/)
  })
})

describe('evictSetupCache / clearSetupCache', () => {
  async function entry(cacheRoot: string, key: string, bytes: number, lastUsed: Date): Promise<void> {
    const ws = await tempDir('codex-setup-cache-entry-')
    const before = await snapshotWorkspace(ws)
    await writeFiles(ws, { 'node_modules/blob': Buffer.alloc(bytes) })
    await saveSetupCache({ cacheRoot, key, workspace: ws, before, durationMs: 1 })
    await utimes(join(cacheRoot, key, 'last-used'), lastUsed, lastUsed)
  }

  it('removes the least recently used entries beyond the cap; a restore makes an entry recent', async () => {
    const cacheRoot = join(await tempDir('codex-setup-cache-lru-'), 'cache')
    const c = 'c'.repeat(64)
    await entry(cacheRoot, KEY, 1000, new Date(2020, 0, 1))
    await entry(cacheRoot, OTHER_KEY, 1000, new Date(2021, 0, 1))
    await entry(cacheRoot, c, 1000, new Date(2022, 0, 1))
    const fresh = await tempDir('codex-setup-cache-touch-')
    await restoreSetupCache(cacheRoot, KEY, fresh)
    // Each entry counts twice its files: the entry and its spare (a ready copy for the next restore).
    expect(await evictSetupCache(cacheRoot, 4000)).toBe(1)
    expect((await readdir(cacheRoot)).sort()).toEqual([KEY, c])
    expect(await evictSetupCache(cacheRoot, 4000)).toBe(0)
    expect(await setupCacheUsage(cacheRoot)).toEqual({ entries: 2, bytes: 4000 })
    expect(await clearSetupCache(cacheRoot)).toBe(2)
    await expect(readdir(cacheRoot)).rejects.toThrow(/ENOENT/)
    expect(await clearSetupCache(cacheRoot)).toBe(0)
    expect(await setupCacheUsage(cacheRoot)).toEqual({ entries: 0, bytes: 0 })
  })
})
