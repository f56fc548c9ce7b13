import { execFileSync } from 'node:child_process'
import { chmod, mkdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { removeTaskVolumes, shipBack, shipIn, type Manifest } from '../../src/main/docker/workspace-ship'
import { appErrorOf } from '../support/files'
import { makeTree } from '../../bench/support/tree'
import { tempDir } from '../support/tmp'
import {
  listHost,
  LIST_VOLUME,
  parseVolumeListing,
  sh,
  shipTarget,
  startVolumeContainer,
} from './workspace-ship-fixture'

/** The manifest in path order, without the volume's stamps (they depend on when it was looked at). */
const byPath = (m: Manifest): Manifest =>
  [...m].sort((a, b) => (a.path < b.path ? -1 : 1)).map(({ stamp: _stamp, ...entry }) => entry)

const LONG = `${'deep-folder-name/'.repeat(8)}a-file-whose-path-is-longer-than-one-hundred-bytes.txt`

/** A tree with what a repository can hold: modes, links of every kind, empty folders, unicode, long paths. */
async function richTree(root: string): Promise<void> {
  await mkdir(join(root, 'src/lib'), { recursive: true })
  await mkdir(join(root, 'empty/nested-empty'), { recursive: true })
  await mkdir(join(root, 'private'), { mode: 0o700 })
  await mkdir(join(root, LONG, '..'), { recursive: true })
  await writeFile(join(root, 'README.md'), '# hello\n')
  await writeFile(join(root, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 })
  await writeFile(join(root, 'private/key.txt'), 'mine\n', { mode: 0o600 })
  await writeFile(join(root, 'src/lib/café.ts'), 'export const café = 1\n')
  await writeFile(join(root, 'src/日本語 ファイル.md'), 'こんにちは\n')
  await writeFile(join(root, 'src/emoji-🎉.txt'), 'party\n')
  await writeFile(join(root, 'src/binary.bin'), Buffer.from([0, 1, 2, 255, 254, 0]))
  await writeFile(join(root, 'src/empty-file'), '')
  await writeFile(join(root, LONG), 'long\n')
  await symlink('lib/café.ts', join(root, 'src/link-to-file'))
  await symlink('../empty', join(root, 'src/link-to-dir'))
  await symlink('/etc/passwd', join(root, 'absolute-link'))
  await symlink('does/not/exist', join(root, 'dangling'))
  await chmod(join(root, 'run.sh'), 0o755)
}

describe('shipping a workspace into a volume and back', () => {
  it('ships a tree in exactly (modes, links as links, empty folders, unicode), owned by the sandbox user, and back', async () => {
    const target = await shipTarget()
    const host = await tempDir('codex-ship-')
    const ws = join(host, 'workspace')
    await richTree(ws)
    execFileSync('mkfifo', [join(ws, 'a-fifo')])
    await mkdir(join(ws, '.git'))
    await writeFile(join(ws, '.git/config'), '[core]\n')

    const shipped = await shipIn(target.docker, { ...target, hostDir: ws })
    expect(shipped.skipped).toEqual([{ path: 'a-fifo', reason: 'is a FIFO, socket or device' }])
    expect(shipped.manifest.some((e) => e.path.startsWith('.git'))).toBe(false)

    const container = await startVolumeContainer(target.docker, target)
    const inVolume = parseVolumeListing(await sh(container, LIST_VOLUME))
    execFileSync('rm', ['-rf', join(ws, 'a-fifo'), join(ws, '.git')])
    const onHost = await listHost(ws)
    expect(inVolume.entries).toEqual(onHost.entries)
    expect(inVolume.hashes).toEqual(onHost.hashes)
    expect([...inVolume.owners]).toEqual(['10001'])

    // Nothing changed: nothing comes back.
    const none = await shipBack(target.docker, { container }, { manifest: shipped.manifest, hostDir: ws })
    expect({ changed: none.changed, deleted: none.deleted, refused: none.refused }).toEqual({
      changed: [],
      deleted: [],
      refused: [],
    })

    // Into an empty folder with an empty manifest, everything comes back: the same tree.
    const fresh = join(host, 'fresh')
    await mkdir(fresh)
    const all = await shipBack(target.docker, { ...target }, { manifest: [], hostDir: fresh })
    expect(all.refused).toEqual([])
    expect(await listHost(fresh)).toEqual(onHost)
    expect(byPath(all.manifest)).toEqual(byPath(shipped.manifest))
  })

  it('brings back exactly what a turn edited, added, deleted, chmodded and replaced', async () => {
    const target = await shipTarget()
    const ws = join(await tempDir('codex-ship-'), 'workspace')
    await richTree(ws)
    await writeFile(join(ws, 'src/lib/other.ts'), 'other\n')
    const { manifest } = await shipIn(target.docker, { ...target, hostDir: ws })
    const container = await startVolumeContainer(target.docker, target)
    await sh(
      container,
      [
        'echo changed >> README.md',
        // Same size, same folder: only the hash tells.
        "sed -i 's/hi/HI/' run.sh",
        'printf "new\\n" > src/lib/new.ts',
        'mkdir -p added/dir && echo x > added/dir/x.txt',
        'rm src/binary.bin',
        'rm -r empty',
        'chmod +x src/lib/other.ts',
        'rm src/link-to-file && ln -s ../README.md src/link-to-file',
        'rm private/key.txt && mkdir private/key.txt && echo inner > private/key.txt/inner',
        'rm -r src/lib/café.ts && ln -s other.ts src/lib/café.ts',
      ].join(' && '),
    )
    const back = await shipBack(target.docker, { container }, { manifest, hostDir: ws })
    expect(back.refused).toEqual([])
    expect(back.changed.sort()).toEqual(
      [
        'README.md',
        'added',
        'added/dir',
        'added/dir/x.txt',
        'private/key.txt',
        'private/key.txt/inner',
        'run.sh',
        'src/lib/café.ts',
        'src/lib/new.ts',
        'src/lib/other.ts',
        'src/link-to-file',
      ].sort(),
    )
    expect(back.deleted.sort()).toEqual(['empty', 'empty/nested-empty', 'src/binary.bin'])
    const inVolume = parseVolumeListing(await sh(container, LIST_VOLUME))
    const onHost = await listHost(ws)
    expect(onHost.entries).toEqual(inVolume.entries)
    expect(onHost.hashes).toEqual(inVolume.hashes)

    // The returned manifest is the volume now: a second look finds nothing.
    const again = await shipBack(target.docker, { container }, { manifest: back.manifest, hostDir: ws })
    expect([...again.changed, ...again.deleted]).toEqual([])
  })

  it('a folder the agent made unreadable is reported, and what it holds is not taken as deleted', async () => {
    const target = await shipTarget()
    const ws = join(await tempDir('codex-ship-'), 'workspace')
    await richTree(ws)
    const { manifest } = await shipIn(target.docker, { ...target, hostDir: ws })
    const container = await startVolumeContainer(target.docker, target)
    await sh(container, 'chmod 000 src/lib')
    const back = await shipBack(target.docker, { container }, { manifest, hostDir: ws })
    expect(back.deleted).toEqual([])
    expect(back.changed).toEqual(['src/lib'])
    expect(back.skipped).toEqual([{ path: 'src/lib', reason: 'could not be listed: Permission denied' }])
    expect((await stat(join(ws, 'src/lib/café.ts'))).isFile()).toBe(true)
  })

  it('ships a 10,000-file tree in and a 10-file change back as 10 entries', async () => {
    const target = await shipTarget()
    const ws = join(await tempDir('codex-ship-'), 'workspace')
    const stats = await makeTree(ws, { files: 10_000, seed: 7 })
    const t0 = performance.now()
    const shipped = await shipIn(target.docker, { ...target, hostDir: ws })
    const t1 = performance.now()
    expect(shipped.files).toBe(stats.files)
    // Files settle for 2 s before the helper stamps them (inode:ctime) and stops hashing them.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2_100 - (performance.now() - t1))))
    const container = await startVolumeContainer(target.docker, target)
    const files = shipped.manifest.filter((e) => e.kind === 'file').map((e) => e.path)
    const [e1, e2, e3, e4, d1, d2, c1] = [0, 1000, 2000, 3000, 4000, 5000, 6000].map((i) => files[i] ?? '')
    await sh(
      container,
      [
        ...[e1, e2, e3, e4].map((f) => `echo edit >> '${f}'`),
        ...['new-1.ts', 'new-2.ts', 'new-3.ts'].map((f) => `echo new > '${f}'`),
        `rm '${d1}' '${d2}'`,
        `chmod 0755 '${c1}'`,
      ].join(' && '),
    )
    const t2 = performance.now()
    const back = await shipBack(target.docker, { container }, { manifest: shipped.manifest, hostDir: ws })
    const t3 = performance.now()
    expect(back.changed.length + back.deleted.length).toBe(10)
    expect(back.deleted.sort()).toEqual([d1, d2].sort())
    expect(back.changed.sort()).toEqual([e1, e2, e3, e4, c1, 'new-1.ts', 'new-2.ts', 'new-3.ts'].sort())
    expect(back.manifest.filter((e) => e.stamp).length).toBeGreaterThan(9_000)

    // A same-size edit in place (same inode) of a stamped file: its ctime moved, so it is hashed again.
    const inPlace = files[8000] ?? ''
    expect(back.manifest.find((e) => e.path === inPlace)?.stamp).toBeTruthy()
    await sh(container, `printf X | dd of='${inPlace}' bs=1 seek=3 conv=notrunc 2>/dev/null`)
    // Settled again, so only the changed ctime (not its recency) tells.
    await new Promise((resolve) => setTimeout(resolve, 2_100))
    const t4 = performance.now()
    const second = await shipBack(target.docker, { container }, { manifest: back.manifest, hostDir: ws })
    const t5 = performance.now()
    expect([...second.changed, ...second.deleted]).toEqual([inPlace])
    console.log(
      `ship-in of ${stats.files} files (${(stats.bytes / 1e6).toFixed(1)} MB): ${((t1 - t0) / 1000).toFixed(2)} s; ` +
        `ship-back of 10 changes: ${((t3 - t2) / 1000).toFixed(2)} s; ` +
        `of 1 change with the files stamped: ${((t5 - t4) / 1000).toFixed(2)} s`,
    )
  })

  it('a cancelled ship-in leaves no volume; shipping into an existing volume is refused; removal finds it', async () => {
    const target = await shipTarget()
    const ws = join(await tempDir('codex-ship-'), 'workspace')
    await makeTree(ws, { files: 2_000, seed: 3 })
    const controller = new AbortController()
    const cancelled = await appErrorOf(
      shipIn(target.docker, {
        ...target,
        hostDir: ws,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    )
    expect(cancelled.kind).toBe('cancelled')
    await expect(target.docker.getVolume(target.volume).inspect()).rejects.toThrow()
    await shipIn(target.docker, { ...target, hostDir: ws })
    const again = await appErrorOf(shipIn(target.docker, { ...target, hostDir: ws }))
    expect(again.kind).toBe('conflict')
    expect(await removeTaskVolumes(target.docker, target.taskId)).toBe(1)
    await expect(target.docker.getVolume(target.volume).inspect()).rejects.toThrow()
  })

  it('refuses to bring back from a volume that is gone (an empty one would look like every file deleted)', async () => {
    const target = await shipTarget()
    const ws = join(await tempDir('codex-ship-'), 'workspace')
    await makeTree(ws, { files: 50, seed: 5 })
    const { manifest } = await shipIn(target.docker, { ...target, hostDir: ws })
    expect(await removeTaskVolumes(target.docker, target.taskId)).toBe(1)
    const before = execFileSync('find', [ws, '-type', 'f'], { encoding: 'utf8' })
    const err = await appErrorOf(shipBack(target.docker, target, { manifest, hostDir: ws }))
    expect(err.message).toBe(`The workspace volume ${target.volume} is gone from the engine.`)
    expect(execFileSync('find', [ws, '-type', 'f'], { encoding: 'utf8' })).toBe(before)
    await expect(target.docker.getVolume(target.volume).inspect()).rejects.toThrow()
  })
})
