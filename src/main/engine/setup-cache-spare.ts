import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { restoreTree } from './setup-cache-tree'

/**
 * A spare of a setup-cache entry: a ready copy of its `tree/` and `home/` beside them (`spare/`), which
 * a restore moves into the fresh workspace whole (a rename per top-level entry, node_modules at once)
 * instead of copying it file by file; the next spare is copied in the background while the task goes on.
 * The entry's own `tree/` and `home/` are never handed out: a spare is always a copy made from them by
 * the host, so nothing a sandbox does to its workspace reaches the cache.
 */
const SPARE = 'spare'

/** The background copies in flight, by entry directory (TaskEngine.close waits for them). */
const making = new Map<string, Promise<void>>()

const exists = async (path: string): Promise<boolean> => Boolean(await lstat(path).catch(() => undefined))

/** Copies the entry's tree and home into a new spare, unless one is there; never throws. */
async function makeSpare(dir: string): Promise<void> {
  if (!(await exists(join(dir, 'meta.json'))) || (await exists(join(dir, SPARE)))) return
  const temp = join(dir, `.spare-${randomBytes(6).toString('hex')}`)
  try {
    // Not recursive: an entry removed meanwhile (evicted, cleared) is not made again.
    await mkdir(temp)
    for (const part of ['tree', 'home']) {
      if (!(await exists(join(dir, part)))) continue
      await mkdir(join(temp, part))
      await restoreTree(join(dir, part), join(temp, part))
    }
    await rename(temp, join(dir, SPARE))
  } catch {
    // A spare is only a head start: the restore copies from the entry itself without one.
  } finally {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined)
  }
}

/** Starts copying a spare of the entry at `dir` in the background. */
export function replenishSpare(dir: string): void {
  const job = (making.get(dir) ?? Promise.resolve())
    .then(() => makeSpare(dir))
    .finally(() => making.get(dir) === job && making.delete(dir))
  making.set(dir, job)
}

/** Resolves once every background copy has ended. */
export async function spareCopiesSettled(): Promise<void> {
  while (making.size) await Promise.all([...making.values()])
}

/**
 * Takes the entry's spare for one restore (no other restore gets it): its directory, or undefined. A
 * spare still being copied is waited for: the rest of that copy is never longer than a copy of its own
 * (the restore's fallback), which would also share the disk with it.
 */
export async function takeSpare(dir: string): Promise<string | undefined> {
  await making.get(dir)
  const taken = join(dir, `.taken-${randomBytes(6).toString('hex')}`)
  try {
    await rename(join(dir, SPARE), taken)
    return taken
  } catch {
    return undefined
  }
}

/**
 * Moves every top-level entry of `src` into `target` when none of them is there yet (a fresh workspace
 * has no node_modules); true when it did. Anything there already (or another filesystem): false, and
 * nothing was moved — the caller copies instead.
 */
export async function moveTopLevel(src: string, target: string): Promise<boolean> {
  if (!(await stat(src).catch(() => undefined))?.isDirectory()) return false
  const names = await readdir(src)
  for (const name of names) if (await exists(join(target, name))) return false
  try {
    for (const name of names) await rename(join(src, name), join(target, name))
    return true
  } catch {
    // Another filesystem (EXDEV): the caller copies, over whatever was moved (a copy merges).
    return false
  }
}
