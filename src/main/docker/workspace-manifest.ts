import { createHash } from 'node:crypto'
import { lstatSync, readlinkSync, type Dirent } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * What was shipped into a task's volume, one entry per file, folder and symbolic link: the baseline the
 * in-container helper compares the volume with to find what a turn changed (workspace-ship.ts). Paths are
 * workspace-relative with `/`; `mode` is the permission bits (0o777, never setuid/setgid/sticky); `hash`
 * is the SHA-256 (hex) of a file's content or of a link's target, empty for a folder; `size` is a file's
 * byte count or a link target's, 0 for a folder.
 */
export interface ManifestEntry {
  path: string
  kind: 'file' | 'dir' | 'link'
  size: number
  mode: number
  hash: string
  /** The volume's inode:ctime of a file when it was last looked at (SHIP_BACK_SCRIPT), if it had settled. */
  stamp?: string
}

export type Manifest = ManifestEntry[]

/** Something in the folder that is not shipped, and why. */
export interface SkippedEntry {
  path: string
  reason: string
}

/** A path (workspace-relative) and what kind of entry it is, to decide what a walk leaves out. */
export type IgnoreRule = (path: string, kind: 'file' | 'dir' | 'link') => boolean

export interface HostEntry {
  path: string
  abs: string
  kind: ManifestEntry['kind']
  size: number
  mode: number
  mtimeSeconds: number
  linkTarget?: string
}

/** Every name called `.git` stays home: the host's git bookkeeping is its own, and shipBack refuses it. */
const NEVER_SHIPPED = '.git'
const UTF8 = new TextDecoder('utf-8', { fatal: true })

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

function decodeName(raw: Buffer): string | undefined {
  try {
    return UTF8.decode(raw)
  } catch {
    return undefined
  }
}

const kindOf = (d: Dirent<Buffer>): HostEntry['kind'] | undefined =>
  d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'link' : undefined

/** One entry's facts, read synchronously (an lstat takes microseconds; a thread-pool round trip more). */
function describe(abs: string, path: string, kind: HostEntry['kind']): HostEntry {
  const info = lstatSync(abs)
  const base = { path, abs, kind, mode: info.mode & 0o777, mtimeSeconds: info.mtimeMs / 1000 }
  if (kind === 'link') {
    const linkTarget = readlinkSync(abs)
    return { ...base, size: Buffer.byteLength(linkTarget), linkTarget }
  }
  return { ...base, size: kind === 'file' ? info.size : 0 }
}

/**
 * Every folder, file and link under `root` (parents before children, names sorted), never following a
 * link. Left out, each said in `skipped`: FIFOs, sockets and devices; names that are not UTF-8; and, silently,
 * every `.git` and whatever `ignore` says.
 */
export async function walkHostTree(
  root: string,
  ignore?: IgnoreRule,
): Promise<{ entries: HostEntry[]; skipped: SkippedEntry[] }> {
  const entries: HostEntry[] = []
  const skipped: SkippedEntry[] = []
  const visit = async (dirAbs: string, dirRel: string): Promise<void> => {
    const items = await readdir(dirAbs, { withFileTypes: true, encoding: 'buffer' })
    items.sort((a, b) => Buffer.compare(a.name, b.name))
    const wanted: Array<{ name: string; rel: string; kind: HostEntry['kind'] }> = []
    for (const item of items) {
      const name = decodeName(item.name)
      const shown = name ?? item.name.toString('utf8')
      const rel = dirRel ? `${dirRel}/${shown}` : shown
      if (name === NEVER_SHIPPED) continue
      const kind = kindOf(item)
      if (!kind) skipped.push({ path: rel, reason: 'is a FIFO, socket or device' })
      else if (name === undefined) skipped.push({ path: rel, reason: 'has a name that is not UTF-8' })
      else if (!ignore?.(rel, kind)) wanted.push({ name, rel, kind })
    }
    const children = wanted.map((w) => describe(join(dirAbs, w.name), w.rel, w.kind))
    for (const child of children) {
      entries.push(child)
      if (child.kind === 'dir') await visit(child.abs, child.path)
    }
  }
  await visit(root, '')
  return { entries, skipped }
}

/** What the helper in the container reads: `[path, kind, size, mode, hash]` per entry. */
export function manifestForHelper(manifest: Manifest): string {
  return JSON.stringify({
    entries: manifest.map((e) => [e.path, e.kind, e.size, e.mode, e.hash, e.stamp ?? '']),
  })
}

/** Whether one of the folders above `path` is in `set`. */
function hasAncestorIn(path: string, set: ReadonlySet<string>): boolean {
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    if (set.has(path.slice(0, slash))) return true
  }
  return false
}

/**
 * The manifest after a shipBack: `deleted` paths gone (with whatever was under them), every path
 * `applied` replaced (a folder that became a file or link loses what was under it), and each file's
 * stamp the one the helper just gave (none: it is hashed next time).
 */
export function updatedManifest(
  manifest: Manifest,
  applied: readonly ManifestEntry[],
  deleted: readonly string[],
  stamps: ReadonlyMap<string, string> = new Map(),
): Manifest {
  const gone = new Set(deleted)
  const cut = new Set([...deleted, ...applied.filter((e) => e.kind !== 'dir').map((e) => e.path)])
  const byPath = new Map<string, ManifestEntry>()
  for (const entry of manifest) {
    if (gone.has(entry.path) || hasAncestorIn(entry.path, cut)) continue
    byPath.set(entry.path, entry)
  }
  for (const entry of applied) byPath.set(entry.path, entry)
  const stamped = [...byPath.values()].map(({ stamp: _old, ...entry }) => {
    const stamp = entry.kind === 'file' ? stamps.get(entry.path) : undefined
    return stamp ? { ...entry, stamp } : entry
  })
  return stamped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
