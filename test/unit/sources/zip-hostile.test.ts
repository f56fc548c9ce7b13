import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { importZip } from '../../../src/main/sources/zip'
import { LIMITS, archive, expectUnsafe, refused } from './zip-helpers'

const ok = { name: 'fine.txt', data: 'fine' }

describe('importZip refuses entries that escape the destination, leaving nothing', () => {
  it.each([
    ['../evil.txt'],
    ['a/../../evil.txt'],
    ['a/b/../../../evil.txt'],
    ['/etc/evil.txt'],
    ['/tmp/evil.txt'],
    ['C:\\evil.txt'],
    ['C:/evil.txt'],
    ['c:evil.txt'],
    ['..\\..\\evil.txt'],
    ['a\\..\\..\\evil.txt'],
    ['\\\\server\\share\\evil.txt'],
    ['evil\0.txt'],
  ])('%j', async (name) => {
    const shownName = name.replace('\0', '?')
    await expectUnsafe([ok, { name, data: 'pwned' }], shownName)
  })

  it('refuses a traversal name even after a legitimate top-level folder', async () => {
    await expectUnsafe(
      [
        { name: 'repo/a.txt', data: 'a' },
        { name: 'repo/../../evil.txt', data: 'x' },
      ],
      'evil.txt',
    )
  })

  it('leaves an existing empty destination empty', async () => {
    const { root, file } = await archive([ok, { name: '../evil.txt', data: 'x' }])
    const dest = join(root, 'dest')
    mkdirSync(dest)
    await refused(importZip({ file, dest, limits: LIMITS }), 'unsafe_archive', '../evil.txt')
    expect(readdirSync(dest)).toEqual([])
    expect(existsSync(join(root, 'evil.txt'))).toBe(false)
  })
})

describe('importZip refuses symlink tricks, leaving nothing', () => {
  it('an absolute target', async () => {
    await expectUnsafe([ok, { name: 'passwd', symlink: '/etc/passwd' }], 'passwd')
  })

  it('a drive-letter or backslash target', async () => {
    await expectUnsafe([ok, { name: 'win', symlink: 'C:\\Windows' }], 'win')
    await expectUnsafe([ok, { name: 'bs', symlink: '..\\..\\x' }], 'bs')
  })

  it('a relative target that leaves the root', async () => {
    await expectUnsafe([ok, { name: 'sub/out', symlink: '../../outside' }], 'sub/out')
  })

  it('a target that leaves the root only once the top folder is stripped', async () => {
    await expectUnsafe(
      [
        { name: 'repo/a.txt', data: 'a' },
        { name: 'repo/up', symlink: '../repo/a.txt' },
      ],
      'up',
    )
  })

  it('a chain through another symlink: a -> . then b -> a/..', async () => {
    await expectUnsafe(
      [
        { name: 'a', symlink: '.' },
        { name: 'b', symlink: 'a/..' },
      ],
      '"b"',
    )
  })

  it('a chain through a deeper symlink: d/l -> .. then e -> d/l/..', async () => {
    await expectUnsafe(
      [
        { name: 'd/l', symlink: '..' },
        { name: 'e', symlink: 'd/l/..' },
      ],
      '"e"',
    )
  })

  it('a symlink loop', async () => {
    await expectUnsafe(
      [
        { name: 'a', symlink: 'b' },
        { name: 'b', symlink: 'a' },
      ],
      /loops/,
    )
  })

  it('an entry written through an earlier symlink', async () => {
    await expectUnsafe(
      [
        { name: 'sub/', dir: true },
        { name: 'link', symlink: 'sub' },
        { name: 'link/x.txt', data: 'through the link' },
      ],
      'link/x.txt',
    )
  })

  it('an entry written through a symlink that comes later in the archive', async () => {
    await expectUnsafe(
      [
        { name: 'link/x.txt', data: 'through the link' },
        { name: 'link', symlink: '.' },
      ],
      'link/x.txt',
    )
  })

  it('an entry written through a symlink spelled in another case (macOS)', async () => {
    await expectUnsafe(
      [
        { name: 'Link', symlink: 'sub' },
        { name: 'link/x.txt', data: 'x' },
      ],
      'link/x.txt',
    )
  })

  it('the same path twice (a file, then a symlink)', async () => {
    await expectUnsafe(
      [
        { name: 'x', data: 'file' },
        { name: 'x', symlink: 'fine.txt' },
      ],
      'more than once',
    )
  })

  it('accepts links that stay inside, including chains and a link to the root', async () => {
    const { file, dest } = await archive([
      { name: 'a/b/c.txt', data: 'c' },
      { name: 'root', symlink: '.' },
      { name: 'a/b/up', symlink: '../../a' },
      { name: 'chain', symlink: 'a/b/up/b/c.txt' },
      { name: 'dangling', symlink: 'does/not/exist' },
    ])
    await importZip({ file, dest, limits: LIMITS })
    expect(readdirSync(dest).sort()).toEqual(['a', 'chain', 'dangling', 'root'])
  })
})
