import { writeFile } from 'node:fs'
import { AppError } from '../errors'
import { shown } from './zip-plan'

/** Writes in flight at once: enough to keep the thread pool busy while the main thread inflates. */
const MAX_WRITES = 32
/** Bytes held by writes in flight. */
const MAX_BYTES = 32 << 20

const PASS_THROUGH = new Set(['ENOSPC', 'EDQUOT'])

/** A user-facing error for a failed write; disk-full errors pass through for toErrorData to map. */
export function fsFailure(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && PASS_THROUGH.has(code)) return err
  if (err instanceof AppError) return err
  return new AppError(
    'import_failed',
    `Could not extract "${shown(path)}" (${typeof code === 'string' ? code : 'write failed'}).`,
    {
      hint: 'Check that the archive is intact and that there is room on the disk, then try again.',
      cause: err,
    },
  )
}

/**
 * Concurrent, bounded file writes (each file created exclusively: an existing path or symlink is never
 * followed or overwritten). `write` waits for a free slot; the first failure is thrown by a later `write`
 * or by `drain`.
 */
export class WritePool {
  private inflight = 0
  private bytes = 0
  private error: unknown
  private wake: (() => void) | undefined

  constructor(private readonly onDone: (bytes: number) => void) {}

  async write(path: string, shownPath: string, data: Buffer, mode: number): Promise<void> {
    while (this.inflight >= MAX_WRITES || this.bytes >= MAX_BYTES) await this.next()
    if (this.error !== undefined) throw this.error
    this.inflight++
    this.bytes += data.length
    writeFile(path, data, { flag: 'wx', mode }, (err) => {
      this.inflight--
      this.bytes -= data.length
      if (err) {
        if (this.error === undefined) this.error = fsFailure(shownPath, err)
      } else {
        this.onDone(data.length)
      }
      const wake = this.wake
      this.wake = undefined
      wake?.()
    })
  }

  /** Waits for every write, then throws the first failure if any. */
  async drain(): Promise<void> {
    await this.settle()
    if (this.error !== undefined) throw this.error
  }

  /** Waits for every write in flight, ignoring failures. */
  async settle(): Promise<void> {
    while (this.inflight > 0) await this.next()
  }

  private next(): Promise<void> {
    return new Promise((resolve) => {
      const prev = this.wake
      this.wake = () => {
        prev?.()
        resolve()
      }
    })
  }
}
