import { execFileSync } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { blobId, newSides, readFiles } from '../../../src/main/git/contents'
import type { RawEntry } from '../../../src/main/git/diff-parse'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

/** The diff's host reads of the workspace (contents.ts) go through the no-follow reader. */
async function setup(): Promise<{ ws: string; outside: string }> {
  const root = await tempDir('codex-contents-')
  const ws = join(root, 'workspace')
  const outside = join(root, 'outside')
  await writeFiles(ws, { 'src/a.txt': 'a\n' })
  await writeFiles(outside, { 'secret.txt': 'secret\n' })
  return { ws, outside }
}

const modified = (path: string, sha: string, mode = '100644'): RawEntry =>
  ({
    status: 'M',
    oldPath: path,
    newPath: path,
    oldMode: mode,
    newMode: mode,
    oldSha: sha,
    newSha: sha,
  }) as RawEntry

describe('reading the workspace for the diff', () => {
  it('never reads through a symbolic link in a parent, nor opens a FIFO', async () => {
    const { ws, outside } = await setup()
    await symlink(outside, join(ws, 'link'))
    await mkdir(join(ws, 'deep'))
    await symlink(outside, join(ws, 'deep', 'inner'))
    execFileSync('mkfifo', [join(ws, 'pipe')])
    const read = await readFiles(ws, ['src/a.txt', 'link/secret.txt', 'deep/inner/secret.txt', 'pipe'], 1024)
    expect([...read.keys()]).toEqual(['src/a.txt'])

    // Even with the right blob id in hand, a path through a link gives nothing.
    const secretId = blobId(Buffer.from('secret\n'))
    const sides = newSides(
      ws,
      [modified('link/secret.txt', secretId), modified('src/a.txt', blobId(Buffer.from('a\n')))],
      new Map(),
      1024,
    )
    expect([...sides.values()].map(String)).toEqual(['a\n'])
  })

  it('reads a symbolic link’s target, not what it points to', async () => {
    const { ws, outside } = await setup()
    await symlink(join(outside, 'secret.txt'), join(ws, 'src', 'key'))
    const target = Buffer.from(join(outside, 'secret.txt'))
    const sides = newSides(ws, [modified('src/key', blobId(target), '120000')], new Map(), 1024)
    expect(sides.get(blobId(target))?.toString()).toBe(join(outside, 'secret.txt'))
    const ahead = await readFiles(ws, ['src/key'], 1024)
    expect(ahead.get('src/key')?.buf.toString()).toBe(join(outside, 'secret.txt'))
  })
})
