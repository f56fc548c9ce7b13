import { access, rename } from 'node:fs/promises'

/** Whether something exists at `path` (a file, a folder, or a link). */
export const pathExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )

export interface RenameOptions {
  /** Default process.platform: only Windows retries. */
  platform?: NodeJS.Platform
  /** The waits between attempts; default about 2.5 s in all. */
  delaysMs?: readonly number[]
  /** For tests: the rename to retry. */
  rename?: (from: string, to: string) => Promise<void>
}

/** What a virus scanner or the search indexer holding a file open makes a Windows rename fail with. */
const TRANSIENT = new Set(['EPERM', 'EBUSY', 'EACCES'])
const DELAYS_MS = [20, 40, 80, 160, 320, 640, 1280] as const

/**
 * `fs.rename`, retried on Windows while the error is one that another process holding the file causes
 * (antivirus, indexer, a backup agent), with a short backoff; any other error, or any error on another
 * platform, is thrown at once (there EACCES and EPERM mean what they say).
 */
export async function renameWithRetry(from: string, to: string, opts: RenameOptions = {}): Promise<void> {
  const platform = opts.platform ?? process.platform
  const move = opts.rename ?? rename
  const delays = opts.delaysMs ?? DELAYS_MS
  for (let attempt = 0; ; attempt++) {
    try {
      return await move(from, to)
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      const retry = platform === 'win32' && typeof code === 'string' && TRANSIENT.has(code)
      if (!retry || attempt >= delays.length) throw err
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]))
    }
  }
}
