import { execFileSync } from 'node:child_process'
import { closeSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A real small filesystem (tmpfs, `size` like "8m") mounted on a fresh directory: a disk that really fills
 * up. Needs root (CI and this machine run tests as root); `unmount()` in afterAll.
 */
export async function mountTmpfs(size: string): Promise<{ dir: string; unmount: () => Promise<void> }> {
  if (process.getuid?.() !== 0) throw new Error('mounting a tmpfs needs root: run this test as root')
  const dir = await mkdtemp(join(tmpdir(), 'codex-tmpfs-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  return {
    dir,
    unmount: async () => {
      execFileSync('umount', ['-l', dir])
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export const freeOn = (dir: string): number => {
  const fs = statfsSync(dir)
  return fs.bavail * fs.bsize
}

/**
 * Fills the disk holding `dir` with a file `name` until no more than `leaveBytes` are free (default:
 * full, down to the last block). Returns a function that removes the filler.
 */
export function fillDisk(dir: string, leaveBytes = 0, name = 'filler'): () => void {
  const path = join(dir, name)
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(1024 * 1024, 0x61)
  try {
    for (let size = chunk.length; size >= 512; size = Math.floor(size / 2)) {
      for (;;) {
        const room = freeOn(dir) - leaveBytes
        if (room < size) break
        try {
          writeSync(fd, chunk, 0, size)
        } catch {
          break // ENOSPC: try a smaller piece
        }
      }
    }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  return () => rmSync(path, { force: true })
}
