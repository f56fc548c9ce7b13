import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readlink } from 'node:fs/promises'

/**
 * The blob id git gives a file on disk (`git hash-object --no-filters`, SHA-1 repositories): the hash
 * of `blob <size>\0` and the bytes; for a symbolic link, the bytes of its target. Computed here rather
 * than by git so that any file name works and nothing of the folder is read by git's configuration.
 */
export type DiskEntry =
  | { kind: 'missing' }
  | { kind: 'directory' }
  | { kind: 'other' }
  | { kind: 'file'; sha: string; mode: number }
  | { kind: 'symlink'; sha: string }

export async function diskEntry(path: string): Promise<DiskEntry> {
  const info = await lstat(path).catch((e: unknown) => {
    const code = (e as { code?: unknown }).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw e
  })
  if (!info) return { kind: 'missing' }
  if (info.isDirectory()) return { kind: 'directory' }
  if (info.isSymbolicLink()) {
    const target = await readlink(path, { encoding: 'buffer' })
    return { kind: 'symlink', sha: blobId(target) }
  }
  if (!info.isFile()) return { kind: 'other' }
  return { kind: 'file', sha: await fileBlobId(path, info.size), mode: info.mode }
}

export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
}

async function fileBlobId(path: string, size: number): Promise<string> {
  const hash = createHash('sha1').update(`blob ${size}\0`)
  let read = 0
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer
    read += buf.length
    hash.update(buf)
  }
  // Changed while being read: the header no longer matches; no blob can have this id.
  if (read !== size) return `changed-${read}`
  return hash.digest('hex')
}
