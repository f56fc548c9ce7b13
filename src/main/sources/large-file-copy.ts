import { constants } from 'node:fs'
import { spawn } from 'node:child_process'
import { copyFile, open, rm } from 'node:fs/promises'
import { AppError } from '../errors'

/** Files at least this large are copied off the event loop (never in the importer's synchronous slices). */
export const LARGE_FILE = 64 * 1024 * 1024
const CHUNK = 1024 * 1024

/**
 * Copies one large file without blocking the event loop. A sparse file (fewer blocks allocated than its
 * size: disk images, preallocated data) is copied hole for hole — runs of zeros become holes again —
 * so a 5 GB sparse file costs a read of its holes, not 5 GB of writes. Others go through the threadpool.
 */
export async function copyLargeFile(
  src: string,
  dst: string,
  info: { size: number; blocks: number; mode: number },
  signal?: AbortSignal,
): Promise<void> {
  if (info.blocks * 512 >= info.size) return copyFile(src, dst, constants.COPYFILE_EXCL)
  if (process.platform === 'linux' && (await copyWithCp(src, dst))) return
  const input = await open(src, 'r')
  try {
    const output = await open(
      dst,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      info.mode & 0o7777,
    )
    try {
      const buf = Buffer.allocUnsafe(CHUNK)
      const zeros = Buffer.alloc(CHUNK)
      for (let offset = 0; offset < info.size;) {
        if (signal?.aborted) throw new AppError('cancelled', 'The import was cancelled.')
        const { bytesRead } = await input.read(buf, 0, CHUNK, offset)
        if (bytesRead === 0) break
        const chunk = buf.subarray(0, bytesRead)
        if (!chunk.equals(zeros.subarray(0, bytesRead))) await output.write(chunk, 0, bytesRead, offset)
        offset += bytesRead
      }
      await output.truncate(info.size)
    } finally {
      await output.close()
    }
  } finally {
    await input.close()
  }
}

/**
 * GNU cp finds the holes with SEEK_DATA/SEEK_HOLE instead of reading them (seconds saved per GB).
 * False when cp is missing or failed; whatever it left is removed so the fallback starts clean.
 */
function copyWithCp(src: string, dst: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('cp', ['--sparse=always', '--no-dereference', '--preserve=mode', '--', src, dst], {
      stdio: 'ignore',
    })
    child.once('error', () => resolve(false))
    child.once('close', (code) => {
      if (code === 0) resolve(true)
      else void rm(dst, { force: true }).then(() => resolve(false))
    })
  })
}
