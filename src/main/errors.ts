import type { AppErrorData, ErrorKind } from '../shared/errors'
import { diskFullData, isDiskFull, pathOf } from './util/disk-space'

/** An error the user can act on: a kind the UI switches on, what failed, and what to do next. */
export class AppError extends Error {
  readonly kind: ErrorKind
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause })
    this.name = 'AppError'
    this.kind = kind
    this.hint = opts.hint
    this.details = opts.details
  }

  toData(): AppErrorData {
    const data: AppErrorData = { kind: this.kind, message: this.message }
    if (this.hint) data.hint = this.hint
    if (this.details) data.details = this.details
    return data
  }
}

/**
 * Turns anything thrown into error data fit for a user: never a stack trace. A full disk, however it
 * surfaced (ENOSPC, git's "No space left on device" inside a git_failed), is the one disk-full error.
 */
export function toErrorData(err: unknown): AppErrorData {
  if (err instanceof AppError && err.kind === 'disk_full') return err.toData()
  if (isDiskFull(err)) return diskFullData(pathOf(err))
  if (err instanceof AppError) return err.toData()
  const message = err instanceof Error ? err.message : String(err)
  return { kind: 'internal', message: message.split('\n')[0] || 'Unexpected error' }
}
