import * as fsp from 'node:fs/promises'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { writeAllOrNothing } from '../../../src/main/git/apply-writes'
import { tempDir } from '../../support/tmp'

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>()
  return { ...real, rename: vi.fn(real.rename) }
})

const real = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')
const platform = Object.getOwnPropertyDescriptor(process, 'platform')

/** Every rename fails once with EBUSY (a virus scanner holding the file), then works. */
function scannerHoldsEachFileOnce(): string[] {
  const refused: string[] = []
  vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
    const key = `${String(from)} -> ${String(to)}`
    if (!refused.includes(key)) {
      refused.push(key)
      throw Object.assign(new Error(`EBUSY: resource busy or locked, rename '${String(from)}'`), {
        code: 'EBUSY',
      })
    }
    return real.rename(from, to)
  })
  return refused
}

beforeEach(() => {
  Object.defineProperty(process, 'platform', { ...platform, value: 'win32' })
})
afterEach(() => {
  if (platform) Object.defineProperty(process, 'platform', platform)
  vi.mocked(fsp.rename).mockImplementation(real.rename)
})

describe('applying to a folder on Windows while a scanner holds the files', () => {
  it('retries the renames of a deletion and of a replacement', async () => {
    const folder = await tempDir('codex-apply-retry-')
    await writeFile(join(folder, 'gone.txt'), 'old\n')
    await writeFile(join(folder, 'kept.txt'), 'old\n')
    const refused = scannerHoldsEachFileOnce()
    await writeAllOrNothing(
      folder,
      ['gone.txt'],
      [{ path: 'kept.txt', content: Buffer.from('new\n'), mode: '100644' }],
    )
    expect(refused.length).toBeGreaterThanOrEqual(2)
    expect(await readFile(join(folder, 'kept.txt'), 'utf8')).toBe('new\n')
    expect((await readdir(folder)).sort()).toEqual(['kept.txt'])
  })

  it('retries the renames that undo a failed apply', async () => {
    const folder = await tempDir('codex-apply-retry-')
    await writeFile(join(folder, 'gone.txt'), 'old\n')
    await writeFile(join(folder, 'file'), 'a file\n')
    // The deletion goes through, the write fails (its parent is a file), and only the rename undoing
    // the deletion (out of the backup directory) meets the scanner.
    let undoRefused = false
    vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
      if (String(to) === join(folder, 'gone.txt') && !undoRefused) {
        undoRefused = true
        throw Object.assign(new Error('EBUSY: resource busy or locked'), { code: 'EBUSY' })
      }
      return real.rename(from, to)
    })
    const failing = writeAllOrNothing(
      folder,
      ['gone.txt'],
      [{ path: 'file/below.txt', content: Buffer.from('x\n'), mode: '100644' }],
    )
    await expect(failing).rejects.toThrow()
    expect(undoRefused).toBe(true)
    expect(await readFile(join(folder, 'gone.txt'), 'utf8')).toBe('old\n')
    expect((await readdir(folder)).sort()).toEqual(['file', 'gone.txt'])
  })
})
