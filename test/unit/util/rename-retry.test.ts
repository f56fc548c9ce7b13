import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renameWithRetry } from '../../../src/main/util/fs'
import { tempDir } from '../../support/tmp'

const fsError = (code: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: operation not permitted, rename`), { code })

/** A rename that fails with `codes`, one per attempt, then does the real rename. */
function flaky(codes: string[]) {
  const calls: string[] = []
  const move = async (from: string, to: string): Promise<void> => {
    calls.push(from)
    const code = codes.shift()
    if (code) throw fsError(code)
    await rename(from, to)
  }
  return { move, calls }
}

describe('renameWithRetry', () => {
  it('on Windows, retries while a scanner holds the file (EPERM, EBUSY, EACCES), then renames', async () => {
    const dir = await tempDir('codex-rename-')
    await writeFile(join(dir, 'a.tmp'), 'new\n')
    await writeFile(join(dir, 'a'), 'old\n')
    const { move, calls } = flaky(['EPERM', 'EBUSY', 'EACCES'])
    await renameWithRetry(join(dir, 'a.tmp'), join(dir, 'a'), {
      platform: 'win32',
      rename: move,
      delaysMs: [1, 2, 4],
    })
    expect(calls).toHaveLength(4)
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('new\n')
  })

  it('waits with a growing backoff and gives up after the last delay with the last error', async () => {
    const { move, calls } = flaky(['EBUSY', 'EBUSY', 'EBUSY', 'EBUSY'])
    const started = Date.now()
    await expect(
      renameWithRetry('/nowhere/a', '/nowhere/b', { platform: 'win32', rename: move, delaysMs: [30, 60] }),
    ).rejects.toMatchObject({ code: 'EBUSY' })
    expect(calls).toHaveLength(3)
    expect(Date.now() - started).toBeGreaterThanOrEqual(85)
  })

  it('throws other errors at once on Windows, and every error at once elsewhere', async () => {
    const enoent = flaky(['ENOENT'])
    await expect(
      renameWithRetry('/a', '/b', { platform: 'win32', rename: enoent.move, delaysMs: [1] }),
    ).rejects.toMatchObject({ code: 'ENOENT' })
    expect(enoent.calls).toHaveLength(1)
    for (const platform of ['linux', 'darwin'] as const) {
      const eperm = flaky(['EPERM'])
      await expect(
        renameWithRetry('/a', '/b', { platform, rename: eperm.move, delaysMs: [1] }),
      ).rejects.toMatchObject({ code: 'EPERM' })
      expect(eperm.calls).toHaveLength(1)
    }
  })

  it('is a plain rename by default', async () => {
    const dir = await tempDir('codex-rename-')
    await writeFile(join(dir, 'x'), 'x\n')
    await renameWithRetry(join(dir, 'x'), join(dir, 'y'))
    expect(await readFile(join(dir, 'y'), 'utf8')).toBe('x\n')
  })
})
