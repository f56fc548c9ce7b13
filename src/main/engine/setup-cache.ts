import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SetupCacheUsage } from '../../shared/settings'
import { moveTopLevel, replenishSpare, takeSpare } from './setup-cache-spare'
import {
  applyDeletions,
  copyChangedEntries,
  deletedSince,
  restoreTree,
  type TreeCopyCount,
  type WorkspaceSnapshot,
} from './setup-cache-tree'

/**
 * The setup cache's entries: `<dataDir>/setup-cache/<key>/` holds `tree/` (what setup created or
 * changed in the workspace), `home/` (the same of HOME), `deleted.json` (what setup deleted in each),
 * `meta.json` (how long that setup took, its size) and `last-used` (its
 * mtime orders eviction). An entry is written whole in a temporary directory and renamed into place,
 * so a reader sees a complete entry or none.
 */
export interface SetupCacheMeta {
  version: 1
  key: string
  /** How long the setup that produced the entry ran. */
  durationMs: number
  createdAt: string
  bytes: number
  files: number
  links: number
  dirs: number
  /** FIFOs, sockets and devices setup left: not kept. */
  skipped: number
}

export interface SetupCacheSave {
  cacheRoot: string
  key: string
  workspace: string
  before: WorkspaceSnapshot
  /** The sandbox's HOME (setup may install there too: pip --user, ~/.cargo), and what was in it before. */
  home?: { dir: string; before: WorkspaceSnapshot }
  durationMs: number
}

function addCounts(a: TreeCopyCount, b: TreeCopyCount): TreeCopyCount {
  return {
    files: a.files + b.files,
    dirs: a.dirs + b.dirs,
    links: a.links + b.links,
    skipped: a.skipped + b.skipped,
    bytes: a.bytes + b.bytes,
  }
}

/**
 * Package managers' download caches in HOME: what setup fetched on the way to what it installed. Not kept:
 * restoring them cost more than they save (the agent phase has no network to refill anything).
 */
const DOWNLOAD_CACHES = ['.npm/_cacache', '.npm/_logs', '.cache/pip', '.cache/yarn']
const downloadCache = (rel: string): boolean =>
  DOWNLOAD_CACHES.some((dir) => rel === dir || rel.startsWith(`${dir}/`))

const KEY_PATTERN = /^[0-9a-f]{64}$/
const entryDir = (cacheRoot: string, key: string): string => {
  if (!KEY_PATTERN.test(key)) throw new Error('A setup-cache key is 64 hex digits.')
  return join(cacheRoot, key)
}

export function setupCacheRoot(dataDir: string): string {
  return join(dataDir, 'setup-cache')
}

/** Saves what setup changed under `key`. An entry already there (a task that raced) is kept. */
export async function saveSetupCache(save: SetupCacheSave): Promise<SetupCacheMeta> {
  const final = entryDir(save.cacheRoot, save.key)
  await mkdir(save.cacheRoot, { recursive: true })
  const temp = join(save.cacheRoot, `.tmp-${randomBytes(6).toString('hex')}`)
  try {
    await mkdir(join(temp, 'tree'), { recursive: true })
    let count: TreeCopyCount = await copyChangedEntries(save.workspace, save.before, join(temp, 'tree'))
    if (save.home) {
      await mkdir(join(temp, 'home'))
      const home = await copyChangedEntries(
        save.home.dir,
        save.home.before,
        join(temp, 'home'),
        downloadCache,
      )
      count = addCounts(count, home)
    }
    const deleted: DeletedEntries = {
      tree: deletedSince(save.workspace, save.before),
      home: save.home ? deletedSince(save.home.dir, save.home.before) : [],
    }
    await writeFile(join(temp, 'deleted.json'), JSON.stringify(deleted))
    const meta: SetupCacheMeta = {
      version: 1,
      key: save.key,
      durationMs: save.durationMs,
      createdAt: new Date().toISOString(),
      ...count,
    }
    await writeFile(join(temp, 'meta.json'), JSON.stringify(meta))
    await writeFile(join(temp, 'last-used'), '')
    try {
      await rename(temp, final)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err
    }
    replenishSpare(final)
    return meta
  } finally {
    await rm(temp, { recursive: true, force: true })
  }
}

/** Workspace- and HOME-relative paths setup deleted: deleted again on restore. */
interface DeletedEntries {
  tree: string[]
  home: string[]
}

async function readDeleted(dir: string): Promise<DeletedEntries> {
  const text = await readFile(join(dir, 'deleted.json'), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '{"tree":[],"home":[]}'
    throw err
  })
  const parsed = JSON.parse(text) as Partial<DeletedEntries>
  const paths = (list: unknown): string[] => {
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
      throw new Error('The setup-cache entry’s deleted.json is not a list of paths.')
    }
    return list
  }
  return { tree: paths(parsed.tree), home: paths(parsed.home) }
}

async function readMeta(dir: string, key: string): Promise<SetupCacheMeta> {
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as SetupCacheMeta
  if (meta.version !== 1 || meta.key !== key || typeof meta.durationMs !== 'number') {
    throw new Error('The setup-cache entry’s meta.json does not match its key.')
  }
  return meta
}

async function entryExists(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory()
  } catch {
    return false
  }
}

/**
 * Restores the entry of `key` into `workspace` (and its saved HOME into `home`, an existing directory):
 * undefined when there is none (a miss); throws when the entry is corrupt or cannot be copied (the
 * caller runs setup instead). Touches `last-used`. `fromSpare`: the workspace's part came as the entry's
 * spare, moved in whole (no file copied).
 */
export async function restoreSetupCache(
  cacheRoot: string,
  key: string,
  workspace: string,
  home?: string,
): Promise<(SetupCacheMeta & { fromSpare: boolean }) | undefined> {
  const dir = entryDir(cacheRoot, key)
  if (!(await entryExists(dir))) return undefined
  const meta = await readMeta(dir, key)
  const deleted = await readDeleted(dir)
  const spare = await takeSpare(dir)
  let fromSpare: boolean
  try {
    await applyDeletions(workspace, deleted.tree)
    fromSpare = Boolean(spare && (await moveTopLevel(join(spare, 'tree'), workspace)))
    if (!fromSpare) await restoreTree(join(dir, 'tree'), workspace)
    if (home) {
      await applyDeletions(home, deleted.home)
      const moved = spare && (await moveTopLevel(join(spare, 'home'), home))
      if (!moved && (await entryExists(join(dir, 'home')))) await restoreTree(join(dir, 'home'), home)
    }
  } finally {
    if (spare) await rm(spare, { recursive: true, force: true })
  }
  // The next task's spare, copied while this one goes on.
  replenishSpare(dir)
  const now = new Date()
  await utimes(join(dir, 'last-used'), now, now).catch(() => writeFile(join(dir, 'last-used'), ''))
  return { ...meta, fromSpare }
}

interface EntryUse {
  dir: string
  bytes: number
  lastUsedMs: number
}

async function listEntries(cacheRoot: string): Promise<EntryUse[]> {
  let names: string[]
  try {
    names = await readdir(cacheRoot)
  } catch {
    return []
  }
  const entries: EntryUse[] = []
  for (const name of names.filter((n) => KEY_PATTERN.test(n))) {
    const dir = join(cacheRoot, name)
    const meta = await readMeta(dir, name).catch(() => undefined)
    const used = await stat(join(dir, 'last-used')).catch(() => undefined)
    // An unreadable entry sorts first: it is evicted before every good one. Its spare doubles it.
    const bytes = (meta?.bytes ?? 0) * 2
    entries.push({ dir, bytes, lastUsedMs: meta && used ? used.mtimeMs : 0 })
  }
  return entries
}

/** How many entries the cache holds, and their bytes. */
export async function setupCacheUsage(cacheRoot: string): Promise<SetupCacheUsage> {
  const entries = await listEntries(cacheRoot)
  return { entries: entries.length, bytes: entries.reduce((sum, e) => sum + e.bytes, 0) }
}

/** Removes least-recently-used entries until the cache holds at most `maxBytes`. Returns how many went. */
export async function evictSetupCache(cacheRoot: string, maxBytes: number): Promise<number> {
  const entries = (await listEntries(cacheRoot)).sort((a, b) => a.lastUsedMs - b.lastUsedMs)
  let total = entries.reduce((sum, e) => sum + e.bytes, 0)
  let removed = 0
  for (const entry of entries) {
    if (total <= maxBytes && entry.lastUsedMs > 0) break
    await rm(entry.dir, { recursive: true, force: true })
    total -= entry.bytes
    removed++
  }
  return removed
}

/** Removes the entry of `key` (one that could not be restored: the next setup saves it anew). */
export async function discardSetupCacheEntry(cacheRoot: string, key: string): Promise<void> {
  await rm(entryDir(cacheRoot, key), { recursive: true, force: true })
}

/** Removes every entry (and leftover temporary directories); answers how many entries there were. */
export async function clearSetupCache(cacheRoot: string): Promise<number> {
  const names = await readdir(cacheRoot).catch(() => [] as string[])
  await rm(cacheRoot, { recursive: true, force: true })
  return names.filter((name) => /^[0-9a-f]{64}$/.test(name)).length
}
