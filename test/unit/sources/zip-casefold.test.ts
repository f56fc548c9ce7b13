import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importZip } from '../../../src/main/sources/zip'
import { foldKey, foldName } from '../../../src/main/sources/zip-fold'
import { LIMITS, archive, expectUnsafe } from './zip-helpers'

/**
 * Names that one case-insensitive or normalizing filesystem (APFS, HFS+, NTFS/Win32) takes for the same
 * file, though `toLowerCase` tells them apart: [the symlink's name, the other spelling].
 */
const ALIASES: Array<[string, string, string]> = [
  ['final sigma / sigma', 'ς', 'σ'],
  ['capital sigma / final sigma', 'Σ', 'ς'],
  ['sharp s / ss', 'ß', 'ss'],
  ['ss / sharp s', 'ss', 'ß'],
  ['capital sharp s / ss', 'ẞ', 'ss'],
  ['ligature fi / FI', 'ﬁle', 'FILE'],
  ['dotless i / i (NTFS upcase)', 'lınk', 'link'],
  ['Kelvin sign / K', 'Kelvin\u212a', 'kelvink'],
  ['angstrom sign / å', '\u212b', 'å'],
  ['NFD / NFC', 'cafe\u0301', 'café'],
  ['NFC capital / NFD', 'CAFÉ', 'cafe\u0301'],
  ['HFS-ignorable ZWNJ', 'link', 'li\u200cnk'],
  ['HFS-ignorable ZWJ', 'link', 'link\u200d'],
  ['HFS-ignorable BOM', 'link', '\ufeffLINK'],
  ['HFS-ignorable LRM', 'link', 'l\u200eink'],
  ['Win32 trailing dot', 'link', 'link.'],
  ['Win32 trailing space', 'link', 'LINK '],
  ['NTFS stream', 'link', 'link::$INDEX_ALLOCATION'],
]

describe('foldName: full case folding, as case-insensitive filesystems compare', () => {
  it.each(ALIASES)('%s', (_what, a, b) => {
    expect(foldName(a)).toBe(foldName(b))
  })

  it('folds final sigma in context, Cherokee, title case, long s and iota subscript', () => {
    expect(foldKey('ΟΔΟΣ/x')).toBe(foldKey('οδος/X'))
    expect(foldKey('οδοσ')).toBe(foldKey('ΟΔΟς'))
    expect(foldName('Ꭰ')).toBe(foldName('ꭰ'))
    expect(foldName('ǅ')).toBe(foldName('ǆ'))
    expect(foldName('ſ')).toBe('s')
    expect(foldName('ᾳ')).toBe(foldName('ΑΙ'))
    expect(foldName('\u2126')).toBe(foldName('ω'))
  })

  it('folds plain ASCII names (its fast path) exactly as the full path does', () => {
    const ascii = Array.from({ length: 0x5f }, (_, i) => String.fromCharCode(0x20 + i)).join('')
    for (const name of [ascii, 'README.md', 'Makefile. ', 'a.B.c..', 'x y', '...', 'K', 'SS', 'I']) {
      // A leading ZWNJ (ignorable, removed first) forces the full path.
      expect(foldName(name)).toBe(foldName(`\u200c${name}`))
    }
  })

  it('keeps what no filesystem merges apart', () => {
    expect(foldName('a')).not.toBe(foldName('b'))
    expect(foldName('İ')).not.toBe(foldName('i')) // only Turkic folding merges these
    expect(foldName('ss')).not.toBe(foldName('s'))
    expect(foldKey('a/b')).not.toBe(foldKey('ab'))
  })
})

describe('importZip compares symlinks as a case-insensitive disk would', () => {
  it.each(ALIASES)(
    'refuses an entry written through a symlink spelled otherwise: %s',
    async (_w, link, alias) => {
      await expectUnsafe(
        [
          { name: 'sub/', dir: true },
          { name: link, symlink: 'sub' },
          { name: `${alias}/x.txt`, data: 'through the link' },
        ],
        /goes through the archive's symlink|same name on a case-insensitive disk/,
      )
    },
  )

  it.each(ALIASES)('refuses a chain that escapes through the other spelling: %s', async (_w, link, alias) => {
    await expectUnsafe(
      [
        { name: 'fine.txt', data: 'fine' },
        { name: link, symlink: '.' },
        { name: 'up', symlink: `${alias}/..` },
      ],
      /"up" points outside the destination folder/,
    )
  })

  it('refuses a file and a symlink, or two symlinks, that are one name on a case-insensitive disk', async () => {
    await expectUnsafe(
      [
        { name: 'σ', data: 'file' },
        { name: 'ς', symlink: 'sub' },
      ],
      /same name on a case-insensitive disk/,
    )
    await expectUnsafe(
      [
        { name: 'ß', symlink: 'a' },
        { name: 'SS', symlink: 'b' },
      ],
      /same name on a case-insensitive disk/,
    )
    await expectUnsafe(
      [
        { name: 'Σ/', dir: true },
        { name: 'ς', symlink: 'sub' },
      ],
      /same name on a case-insensitive disk/,
    )
  })

  it('refuses Windows short names beside symlinks (NTFS resolves LONGNA~1 to a long name)', async () => {
    await expectUnsafe(
      [
        { name: 'longname', symlink: '.' },
        { name: 'up', symlink: 'LONGNA~1/..' },
      ],
      /"up" has a name like a Windows short name in its target/,
    )
    await expectUnsafe(
      [
        { name: 'longname', symlink: 'sub' },
        { name: 'LONGNA~1/x.txt', data: 'x' },
      ],
      /Windows short name/,
    )
  })

  it('accepts look-alike names when the archive has no symlinks, and links that stay inside', async () => {
    const plain = await archive([
      { name: 'σ/a.txt', data: 'a' },
      { name: 'ς/b.txt', data: 'b' },
      { name: 'ß.txt', data: 'c' },
      { name: 'ss.txt', data: 'd' },
      { name: 'BACKUP~1.TXT', data: 'e' },
    ])
    await importZip({ file: plain.file, dest: plain.dest, limits: LIMITS })
    expect(readdirSync(plain.dest).sort()).toEqual(['BACKUP~1.TXT', 'ss.txt', 'ß.txt', 'ς', 'σ'].sort())

    const linked = await archive([
      { name: 'Straße/a.txt', data: 'a' },
      { name: 'σοφία', symlink: 'Straße/a.txt' },
      { name: 'Ωmega', symlink: 'STRASSE' },
    ])
    await importZip({ file: linked.file, dest: linked.dest, limits: LIMITS })
    expect(readdirSync(linked.dest).sort()).toEqual(['Straße', 'σοφία', 'Ωmega'].sort())
  })
})
