import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { chmod, lstat, mkdir, rm, symlink, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { renameWithRetry } from '../util/fs'
import type { ManifestEntry, SkippedEntry } from './workspace-manifest'
import type { Received, StagedChange } from './workspace-ship-receive'

/**
 * The second half of shipBack: writes what `receiveChanges` staged into the host's workspace. Every
 * parent of a path is checked with lstat, from the workspace down, to be a real folder (missing ones are
 * made); a path through a link or a file is refused, so nothing is ever written through a link — the
 * only links this follows are none. Files are renamed into place from the staging directory, links made
 * under a fresh temporary name beside their place and renamed over it: each path changes atomically.
 * Deletions come first (deepest first) and only remove paths the manifest has; folders next (shallowest
 * first); then files and links. Files keep their permission bits plus owner read/write (0o600), folders
 * plus 0o700, so the host can always read what it diffs; the manifest keeps the sandbox's bits.
 */
export interface Applied {
  /** The entries written, as the manifest records them. */
  written: ManifestEntry[]
  deleted: string[]
  refused: SkippedEntry[]
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

const depth = (path: string): number => path.split('/').length

/** Real folders under the workspace, checked or made by this apply. */
class ParentChecker {
  private readonly known = new Set<string>()
  constructor(private readonly root: string) {}

  /** Makes sure every parent of `path` is a real folder; says why not when one is a link or a file. */
  async ensure(path: string): Promise<string | undefined> {
    const parts = path.split('/').slice(0, -1)
    let rel = ''
    for (const part of parts) {
      rel = rel ? `${rel}/${part}` : part
      if (this.known.has(rel)) continue
      const abs = join(this.root, rel)
      const info = await lstatOrUndefined(abs)
      if (!info) await mkdir(abs, { mode: 0o755 })
      else if (info.isSymbolicLink()) return `goes through the symbolic link "${rel}"`
      else if (!info.isDirectory()) return `goes through "${rel}", which is not a folder`
      this.known.add(rel)
    }
    return undefined
  }

  forget(path: string): void {
    this.known.delete(path)
  }
}

/** Removes whatever is at `abs` (a folder with everything in it; a link itself, never its target). */
async function clear(abs: string, info: Stats | undefined): Promise<void> {
  if (!info) return
  if (info.isDirectory()) await rm(abs, { recursive: true, force: true })
  else await unlink(abs)
}

async function applyDeletions(
  root: string,
  deleted: readonly string[],
  shipped: ReadonlySet<string>,
  refused: SkippedEntry[],
): Promise<string[]> {
  const done: string[] = []
  for (const path of [...deleted].sort((a, b) => depth(b) - depth(a))) {
    if (!shipped.has(path)) {
      refused.push({ path, reason: 'was never shipped in, so it is not deleted' })
      continue
    }
    const parents = await parentProblem(root, path)
    if (parents) {
      refused.push({ path, reason: parents })
      continue
    }
    const abs = join(root, path)
    await clear(abs, await lstatOrUndefined(abs))
    done.push(path)
  }
  return done
}

/** Like ParentChecker.ensure, but a missing parent means there is nothing to delete (no folder is made). */
async function parentProblem(root: string, path: string): Promise<string | undefined> {
  let rel = ''
  for (const part of path.split('/').slice(0, -1)) {
    rel = rel ? `${rel}/${part}` : part
    const info = await lstatOrUndefined(join(root, rel))
    if (!info) return undefined
    if (info.isSymbolicLink()) return `goes through the symbolic link "${rel}"`
    if (!info.isDirectory()) return `goes through "${rel}", which is not a folder`
  }
  return undefined
}

async function placeDir(abs: string, change: StagedChange): Promise<void> {
  const info = await lstatOrUndefined(abs)
  if (!info?.isDirectory()) {
    await clear(abs, info)
    await mkdir(abs, { mode: 0o700 })
  }
  await chmod(abs, change.mode | 0o700)
}

async function placeFile(abs: string, change: StagedChange): Promise<void> {
  const info = await lstatOrUndefined(abs)
  if (info?.isDirectory()) await clear(abs, info)
  await chmod(change.temp ?? '', change.mode | 0o600)
  await renameWithRetry(change.temp ?? '', abs)
}

async function placeLink(abs: string, change: StagedChange): Promise<void> {
  const temp = join(dirname(abs), `.codex-ship-${randomBytes(6).toString('hex')}`)
  await symlink(change.linkTarget ?? '', temp)
  const info = await lstatOrUndefined(abs)
  if (info?.isDirectory()) await clear(abs, info)
  await renameWithRetry(temp, abs)
}

const PLACE = { dir: placeDir, file: placeFile, link: placeLink } as const

function manifestLine(change: StagedChange): ManifestEntry {
  return { path: change.path, kind: change.kind, size: change.size, mode: change.mode, hash: change.hash }
}

/** Applies `received` to the workspace at `root` (see the module's comment). */
export async function applyChanges(
  root: string,
  received: Received,
  shipped: ReadonlySet<string>,
): Promise<Applied> {
  const refused = [...received.refused]
  const replacing = new Set(received.staged.map((s) => s.path))
  const toDelete = received.deleted.filter((p) => !replacing.has(p))
  const deleted = await applyDeletions(root, toDelete, shipped, refused)
  const checker = new ParentChecker(root)
  const written: ManifestEntry[] = []
  const dirs = received.staged.filter((s) => s.kind === 'dir').sort((a, b) => depth(a.path) - depth(b.path))
  const others = received.staged.filter((s) => s.kind !== 'dir')
  for (const change of [...dirs, ...others]) {
    const problem = await checker.ensure(change.path)
    if (problem) {
      refused.push({ path: change.path, reason: problem })
      continue
    }
    checker.forget(change.path)
    await PLACE[change.kind](join(root, change.path), change)
    written.push(manifestLine(change))
  }
  return { written, deleted, refused }
}
