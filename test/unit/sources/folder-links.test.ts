import * as fs from 'node:fs'
import { lstat, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { importFolder } from '../../../src/main/sources/folder'
import { appErrorOf } from '../../support/files'
import { tempDir } from '../../support/tmp'

/**
 * Windows behaviours emulated on Linux by wrapping node:fs: a junction (or another reparse point) that
 * readdir lists as a folder, one that even lstat calls a folder, and symlink() failing with EPERM (no
 * Developer Mode). The real calls run underneath.
 */
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>()
  return {
    ...real,
    readdirSync: vi.fn(real.readdirSync),
    lstatSync: vi.fn(real.lstatSync),
    symlinkSync: vi.fn(real.symlinkSync),
  }
})

const real = await vi.importActual<typeof import('node:fs')>('node:fs')

afterEach(() => {
  vi.mocked(fs.readdirSync).mockImplementation(real.readdirSync)
  vi.mocked(fs.lstatSync).mockImplementation(real.lstatSync)
  vi.mocked(fs.symlinkSync).mockImplementation(real.symlinkSync)
})

/** A source folder with a file, and `junction` linking to a folder outside it that holds a secret. */
async function tree(): Promise<{ source: string; dest: string }> {
  const root = await tempDir('codex-junction-')
  const source = join(root, 'source')
  await mkdir(join(root, 'outside'))
  await writeFile(join(root, 'outside', 'secret.txt'), 'not part of the import\n')
  await mkdir(source)
  await writeFile(join(source, 'a.txt'), 'a\n')
  await symlink(join(root, 'outside'), join(source, 'junction'))
  return { source, dest: join(root, 'dest') }
}

/** readdir (withFileTypes) lists entries named `name` as folders, as Windows may list a junction. */
function listAsFolder(name: string): void {
  const listAs = (dirent: fs.Dirent): fs.Dirent =>
    dirent.name !== name
      ? dirent
      : Object.assign(Object.create(Object.getPrototypeOf(dirent) as object) as fs.Dirent, dirent, {
          isDirectory: () => true,
          isSymbolicLink: () => false,
        })
  const wrapped = (path: fs.PathLike, opts?: unknown): unknown => {
    const entries = real.readdirSync(path, opts as { withFileTypes: true })
    return Array.isArray(entries) ? entries.map((e) => (e instanceof real.Dirent ? listAs(e) : e)) : entries
  }
  vi.mocked(fs.readdirSync).mockImplementation(wrapped as typeof fs.readdirSync)
}

describe('folder import never follows a link to a folder', () => {
  it('copies a junction that readdir lists as a folder as a link, without copying what it points to', async () => {
    const { source, dest } = await tree()
    listAsFolder('junction')
    const result = await importFolder({ source, dest })
    expect((await lstat(join(dest, 'junction'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(dest, 'junction'))).toBe(await readlink(join(source, 'junction')))
    // Nothing of the folder it points to was copied: dest holds the link itself, no folder.
    expect(real.lstatSync(join(dest, 'junction')).isDirectory()).toBe(false)
    expect(result.files).toBe(2)
  })

  it('refuses a folder reached through a link even when lstat calls it a folder, and leaves nothing', async () => {
    const { source, dest } = await tree()
    listAsFolder('junction')
    const junction = join(source, 'junction')
    const lstatLikeWindows = (path: fs.PathLike, opts?: fs.StatSyncOptions): unknown =>
      String(path) === junction ? real.statSync(path) : real.lstatSync(path, opts)
    vi.mocked(fs.lstatSync).mockImplementation(lstatLikeWindows as typeof fs.lstatSync)
    const err = await appErrorOf(importFolder({ source, dest }))
    expect(err.kind).toBe('import_failed')
    expect(err.message).toMatch(/"junction" is reached through a link/)
    expect(real.existsSync(dest)).toBe(false)
  })
})

describe('folder import where symlinks cannot be made (Windows without Developer Mode)', () => {
  it('writes the link as a file holding its target and warns, instead of failing', async () => {
    const { source, dest } = await tree()
    await symlink('a.txt', join(source, 'to-a'))
    vi.mocked(fs.symlinkSync).mockImplementation(() => {
      throw Object.assign(new Error("EPERM: operation not permitted, symlink 'a.txt'"), { code: 'EPERM' })
    })
    const result = await importFolder({ source, dest })
    expect(result.linksAsFiles.sort()).toEqual(['junction', 'to-a'])
    expect(result.warnings[0]).toMatch(/2 symlinks were written as plain files/)
    expect(await readFile(join(dest, 'to-a'), 'utf8')).toBe('a.txt')
    expect((await lstat(join(dest, 'to-a'))).isFile()).toBe(true)
  })

  it('still fails on other symlink errors', async () => {
    const { source, dest } = await tree()
    vi.mocked(fs.symlinkSync).mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })
    })
    await expect(importFolder({ source, dest })).rejects.toMatchObject({ code: 'EIO' })
    expect(real.existsSync(dest)).toBe(false)
  })
})
