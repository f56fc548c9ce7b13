import { AppError } from '../errors'
import { diskFullData, freeBytes, isDiskFull, pathOf } from './disk-space'

export { isDiskFull, registerDataDir } from './disk-space'

const MB = 1024 * 1024
/** How the one disk-full error starts: one made already is passed on as it is. */
const SAID = 'The disk holding '

/**
 * The one disk-full AppError ("The disk holding <dir> is full (N MB free)") for a failure writing under
 * `path` (default: the path the error names, else the data directory), whatever shape the cause had.
 */
export function diskFullError(path?: string, cause?: unknown, extra = ''): AppError {
  if (cause instanceof AppError && cause.kind === 'disk_full' && cause.message.startsWith(SAID)) return cause
  const data = diskFullData(path ?? pathOf(cause), extra)
  return new AppError('disk_full', data.message, { hint: data.hint, details: data.details, cause })
}

/** For `.catch(...)`: a disk-full failure becomes the one disk-full error; anything else goes on as it was. */
export function rethrowDiskFull(path: string): (err: unknown) => never {
  return (err) => {
    throw isDiskFull(err) ? diskFullError(path, err) : err
  }
}

/**
 * Refuses to start writing about `neededBytes` (plus `marginBytes`) under `dir` when the disk holding it
 * has less free: the same disk-full error, saying how much is needed.
 */
export function assertFreeSpace(dir: string, neededBytes: number, marginBytes: number): void {
  const free = freeBytes(dir)
  if (free === undefined || free >= neededBytes + marginBytes) return
  const needMb = Math.ceil((neededBytes + marginBytes) / MB)
  throw diskFullError(dir, undefined, `; about ${needMb} MB needed`)
}
