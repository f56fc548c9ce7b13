import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const WHOLE_FILE_LIMIT = 64 * 1024 * 1024
const CHUNK = 8 * 1024 * 1024

/** Every file under `dir` (links not followed) whose bytes contain `needle`: for hunting leaked secrets. */
export async function grepTree(dir: string, needle: string): Promise<string[]> {
  return (await grepTreeAll(dir, [needle])).map((hit) => hit.file)
}

/**
 * Finds needles in bytes that come in chunks (a big file, a command's output): each chunk is searched
 * with the end of the one before it, so a needle across a boundary is still seen.
 */
export function needleScanner(needles: string[]): { scan: (chunk: Buffer) => void; found: () => string[] } {
  const wanted = needles.map((n) => Buffer.from(n))
  const overlap = Math.max(0, ...wanted.map((w) => w.length - 1))
  const hits = new Set<string>()
  let tail = Buffer.alloc(0)
  return {
    scan: (chunk) => {
      const joined = tail.length ? Buffer.concat([tail, chunk]) : chunk
      wanted.forEach((w, i) => joined.includes(w) && hits.add(needles[i]!))
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - overlap)))
    },
    found: () => [...hits],
  }
}

/**
 * Each (file, needle) pair where a file under `dir` holds one of `needles`; every file is read once,
 * synchronously (a test helper: 100,000 small files go several times faster than with promises).
 */
export async function grepTreeAll(
  dir: string,
  needles: string[],
): Promise<Array<{ file: string; needle: string }>> {
  const hits: Array<{ file: string; needle: string }> = []
  const visit = (path: string): void => {
    const info = lstatSync(path)
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name))
    } else if (info.isFile()) {
      for (const needle of fileHolds(path, info.size, needles)) hits.push({ file: path, needle })
    }
  }
  visit(dir)
  return hits
}

/** The needles a file holds. Big files (a sparse disk image) are read in chunks. */
function fileHolds(path: string, size: number, needles: string[]): string[] {
  const scanner = needleScanner(needles)
  if (size <= WHOLE_FILE_LIMIT) {
    scanner.scan(readFileSync(path))
    return scanner.found()
  }
  const buf = Buffer.allocUnsafe(CHUNK)
  const fd = openSync(path, 'r')
  try {
    for (let offset = 0, n; (n = readSync(fd, buf, 0, CHUNK, offset)) > 0; offset += n) {
      scanner.scan(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return scanner.found()
}
