import { runGit, type GitOptions } from './git'

/**
 * Reads many blobs with two git processes in all: `cat-file --batch-check` for the sizes, then
 * `cat-file --batch` for the ones small enough to inline. Never one process per file.
 */
export interface BlobReadResult {
  /** Contents of the blobs at most `maxBytes` long. */
  contents: Map<string, Buffer>
  /** Sizes of every blob asked for. */
  sizes: Map<string, number>
}

export async function readBlobs(shas: string[], maxBytes: number, opts: GitOptions): Promise<BlobReadResult> {
  const unique = [...new Set(shas)]
  const sizes = new Map<string, number>()
  const contents = new Map<string, Buffer>()
  if (unique.length === 0) return { contents, sizes }

  const check = await runGit(['cat-file', '--batch-check=%(objectname) %(objectsize)'], {
    ...opts,
    input: unique.join('\n') + '\n',
  })
  for (const line of check.stdout.split('\n')) {
    const [sha, size] = line.split(' ')
    if (sha && size && /^\d+$/.test(size)) sizes.set(sha, Number(size))
  }

  const wanted = unique.filter((sha) => (sizes.get(sha) ?? Infinity) <= maxBytes)
  if (wanted.length === 0) return { contents, sizes }
  const batch = await runGit(['cat-file', '--batch=%(objectname) %(objectsize)'], {
    ...opts,
    input: wanted.join('\n') + '\n',
  })
  const buf = batch.stdoutBuffer ?? Buffer.alloc(0)
  let pos = 0
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos)
    if (nl < 0) break
    const [sha, size] = buf.toString('utf8', pos, nl).split(' ')
    const length = Number(size)
    if (!sha || !Number.isFinite(length)) break
    const start = nl + 1
    contents.set(sha, buf.subarray(start, start + length))
    pos = start + length + 1
  }
  return { contents, sizes }
}
