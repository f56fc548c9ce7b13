import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyShipped, type Manifest, type ShipBackResult } from '../../src/main/docker/workspace-ship'
import { appErrorOf } from '../support/files'
import { listHost } from '../integration/workspace-ship-fixture'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'
import { chunks, entry, file, paxEntry, shipStream } from './support/ship-tar'

/**
 * Hand-made hostile shipBack streams fed to the extractor shipBack uses (`applyShipped`): each is what a
 * sandbox that took over the helper could send. The planted home must stay untouched, the workspace
 * must hold only what is safe, and a stream refused as a whole must change nothing.
 */
async function workspaceCase(planted: Planted) {
  const ws = join(planted.dataDir, 'tasks', 't1', 'workspace')
  await mkdir(join(ws, 'src'), { recursive: true })
  await writeFile(join(ws, 'README.md'), '# app\n')
  await writeFile(join(ws, 'src/app.js'), 'x\n')
  const manifest: Manifest = [
    { path: 'README.md', kind: 'file', size: 6, mode: 0o644, hash: '' },
    { path: 'src', kind: 'dir', size: 0, mode: 0o755, hash: '' },
    { path: 'src/app.js', kind: 'file', size: 2, mode: 0o644, hash: '' },
  ]
  const apply = (stream: Buffer, limits?: Parameters<typeof applyShipped>[1]['limits']) =>
    applyShipped(chunks(stream), { manifest, hostDir: ws, limits })
  return { ws, manifest, apply }
}

const refusedPaths = (r: ShipBackResult): string[] => r.refused.map((x) => x.path).sort()

async function stagingLeft(planted: Planted): Promise<string[]> {
  return (await readdir(join(planted.dataDir, 'tasks', 't1'))).filter((n) => n.startsWith('.ship-'))
}

describe('hostile shipBack streams', () => {
  it('`..` and absolute names are refused; nothing lands outside', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const outsideRel = '../../../../outside/.bashrc'
    const back = await c.apply(
      shipStream([
        file(outsideRel, 'pwned\n'),
        file('/etc/codex-pwned', 'pwned\n'),
        file('src/../../escape.txt', 'pwned\n'),
        file('./dot.txt', 'x\n'),
        file('ok.txt', 'fine\n'),
      ]),
    )
    expect(back.changed).toEqual(['ok.txt'])
    expect(refusedPaths(back)).toEqual(
      ['../../../../outside/.bashrc', '/etc/codex-pwned', './dot.txt', 'src/../../escape.txt'].sort(),
    )
    await expect(stat('/etc/codex-pwned')).rejects.toThrow()
    await expectHeld(planted)
  })

  it('a link, then a file through it, in one stream: the file is refused', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const back = await c.apply(
      shipStream([
        entry({ name: 'home', typeflag: '2', linkname: planted.outside }),
        file('home/.bashrc', 'pwned\n'),
        entry({ name: 'home/.ssh', typeflag: '5', mode: 0o755 }),
      ]),
    )
    expect(back.changed).toEqual(['home'])
    expect(refusedPaths(back)).toEqual(['home/.bashrc', 'home/.ssh'])
    expect((await lstat(join(c.ws, 'home'))).isSymbolicLink()).toBe(true)
    await expectHeld(planted)
  })

  it('a write under a link the workspace already has is refused (the link is never followed)', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    await symlink(join(planted.outside, '.ssh'), join(c.ws, 'keys'))
    const back = await c.apply(shipStream([file('keys/id_ed25519', 'pwned\n'), file('keys/new', 'x\n')]))
    expect(back.changed).toEqual([])
    expect(back.refused.map((r) => r.reason)).toEqual([
      'goes through the symbolic link "keys"',
      'goes through the symbolic link "keys"',
    ])
    await expectHeld(planted)
  })

  it('hard links, devices, FIFOs and unknown entry types are refused', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const back = await c.apply(
      shipStream([
        entry({ name: 'hard', typeflag: '1', linkname: planted.hostSecretPath }),
        entry({ name: 'hard-in', typeflag: '1', linkname: 'README.md' }),
        entry({ name: 'null', typeflag: '3' }),
        entry({ name: 'disk', typeflag: '4' }),
        entry({ name: 'fifo', typeflag: '6' }),
        entry({ name: 'sparse', typeflag: 'S', size: 10 }),
      ]),
    )
    expect(back.changed).toEqual([])
    expect(back.refused.map((r) => `${r.path}: ${r.reason}`)).toEqual([
      'hard: is a hard link (it could tie a workspace file to another one)',
      'hard-in: is a hard link (it could tie a workspace file to another one)',
      'null: is a device',
      'disk: is a device',
      'fifo: is a FIFO',
      'sparse: has an entry type this does not write ("S")',
    ])
    expect((await readdir(c.ws)).sort()).toEqual(['README.md', 'src'])
    await expectHeld(planted)
  })

  it('names with a NUL, a newline or bytes that are not UTF-8 are refused', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const back = await c.apply(
      shipStream([
        paxEntry({ path: Buffer.from('src/a\0../../../../outside/.bashrc') }),
        file('placeholder', 'pwned\n'),
        file('line\nbreak', 'x\n'),
        entry({ name: Buffer.from([0x66, 0xff, 0xfe]), content: Buffer.from('x') }),
      ]),
    )
    expect(back.changed).toEqual([])
    expect(back.refused.map((r) => r.reason)).toEqual([
      'has a control character (a newline, a NUL…) in its name',
      'has a control character (a newline, a NUL…) in its name',
      'has a name that is not UTF-8',
    ])
    await expectHeld(planted)
  })

  it('an oversized extended header ends the stream with an error before it is read', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const huge = entry({ name: 'PaxHeader', typeflag: 'x', size: 512 * 1024 ** 2, omitContent: true })
    const err = await appErrorOf(c.apply(shipStream([huge], [], false)))
    expect(err.kind).toBe('unsafe_archive')
    expect(err.message).toContain('extended header is larger than 65536 bytes')
    const longName = entry({ name: '././@LongLink', typeflag: 'L', size: 200_000, omitContent: true })
    expect((await appErrorOf(c.apply(shipStream([longName], [], false)))).kind).toBe('unsafe_archive')
    expect(await stagingLeft(planted)).toEqual([])
    await expectHeld(planted)
  })

  it('a tar bomb (a 20 GB entry, or past the byte cap) is refused whole, nothing applied', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const before = await listHost(c.ws)
    const bomb = Buffer.concat([
      paxEntry({ size: String(20 * 1024 ** 3) }),
      entry({ name: 'bomb.bin', size: 0, omitContent: true }),
    ])
    const err = await appErrorOf(c.apply(shipStream([file('first.txt', 'applied?\n'), bomb], [], false)))
    expect(err.kind).toBe('unsafe_archive')
    expect(err.message).toContain('tar bomb')
    const many = Array.from({ length: 20 }, (_, i) => file(`f${i}`, 'x'.repeat(1000)))
    const capped = await appErrorOf(c.apply(shipStream(many), { maxBytes: 10_000 }))
    expect(capped.message).toContain('more than 10000 bytes')
    expect(await listHost(c.ws)).toEqual(before)
    expect(await stagingLeft(planted)).toEqual([])
    await expectHeld(planted)
  })

  it('writes into .git or another name for it are refused', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const back = await c.apply(
      shipStream([
        file('.git/hooks/post-checkout', '#!/bin/sh\ncurl evil\n', 0o755),
        file('sub/.GIT/config', '[core]\n'),
        file('GIT~1/config', '[core]\n'),
        file('.git. /config', '[core]\n'),
        entry({ name: '.gitmodules', typeflag: '2', linkname: '/etc/passwd' }),
      ]),
    )
    expect(back.changed).toEqual([])
    expect(back.refused).toHaveLength(5)
    expect((await readdir(c.ws)).sort()).toEqual(['README.md', 'src'])
    await expectHeld(planted)
  })

  it('setuid, setgid and sticky bits are dropped', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const back = await c.apply(
      shipStream([
        file('suid', '#!/bin/sh\n', 0o4755),
        file('sgid', 'x', 0o2755),
        entry({ name: 'd/', typeflag: '5', mode: 0o1777 }),
      ]),
    )
    expect(back.changed.sort()).toEqual(['d', 'sgid', 'suid'])
    for (const name of ['suid', 'sgid']) expect((await stat(join(c.ws, name))).mode & 0o7777).toBe(0o755)
    expect((await stat(join(c.ws, 'd'))).mode & 0o7000).toBe(0)
    await expectHeld(planted)
  })

  it('deletions outside the manifest, or through a link, are refused', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    await symlink(planted.outside, join(c.ws, 'home'))
    const back = await c.apply(
      shipStream(
        [],
        ['../../../../outside/.ssh/id_ed25519', 'home/.bashrc', planted.hostSecretPath, 'README.md'],
      ),
    )
    expect(back.deleted).toEqual(['README.md'])
    expect(back.refused).toHaveLength(3)
    expect(await readFile(planted.hostSecretPath, 'utf8')).toContain(planted.hostSecret)
    await expectHeld(planted)
  })

  it('a corrupt or truncated stream is refused whole', async () => {
    const planted = await plantSecrets()
    const c = await workspaceCase(planted)
    const bad = file('a.txt', 'x\n')
    bad[148] = 0x37 // the checksum no longer matches
    expect((await appErrorOf(c.apply(shipStream([file('first', 'x'), bad])))).kind).toBe('unsafe_archive')
    const cut = shipStream([file('first', 'x'), file('second', 'y'.repeat(5000))]).subarray(0, 3000)
    expect((await appErrorOf(c.apply(cut))).message).toContain('ended in the middle')
    expect((await readdir(c.ws)).sort()).toEqual(['README.md', 'src'])
    expect(await stagingLeft(planted)).toEqual([])
    await expectHeld(planted)
  })
})
