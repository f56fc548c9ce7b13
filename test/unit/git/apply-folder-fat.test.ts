import { cp, lstat, mkdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyToFolder } from '../../../src/main/git/apply-folder'
import { createBaseline } from '../../../src/main/git/baseline'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { tempDir } from '../../support/tmp'
import { mountVfat, type VfatMount } from '../../support/vfat'

/**
 * Applying to a folder on a FAT disk (no symlinks: a Windows or macOS volume, a USB stick). Needs root and
 * a loop device; a machine that cannot mount one fails here, saying what is missing.
 */
let fat: VfatMount
beforeAll(async () => {
  fat = await mountVfat(32)
})
afterAll(async () => {
  await fat?.unmount()
})

const author = { name: 'Ada Lovelace', email: 'ada@example.com' }

async function expectLinkAsFile(path: string, target: string): Promise<void> {
  expect((await lstat(path)).isFile(), `${path} is a regular file`).toBe(true)
  expect(await readFile(path, 'utf8')).toBe(target)
}

describe('applyToFolder onto a disk without symlinks', () => {
  it('writes added and retargeted symlinks as files holding their target, and warns', async () => {
    // The user's folder on FAT holds `old-link` as git leaves a symlink there: a file with its target.
    const folder = join(fat.dir, 'project')
    await mkdir(folder)
    await writeFile(join(folder, 'a.txt'), 'a\n')
    await writeFile(join(folder, 'b.txt'), 'b\n')
    await writeFile(join(folder, 'old-link'), 'a.txt')
    // The task's workspace (on a disk with symlinks) and its baseline, where old-link is a symlink.
    const root = await tempDir('codex-apply-fat-')
    const ws = join(root, 'workspace')
    const gitDir = join(root, 'git')
    await mkdir(ws)
    await cp(join(folder, 'a.txt'), join(ws, 'a.txt'))
    await cp(join(folder, 'b.txt'), join(ws, 'b.txt'))
    await symlink('a.txt', join(ws, 'old-link'))
    const baseline = await createBaseline({ workspace: ws, gitDir })
    // The agent's change: a new link, a retargeted one, an edit.
    await symlink('b.txt', join(ws, 'new-link'))
    await unlink(join(ws, 'old-link'))
    await symlink('b.txt', join(ws, 'old-link'))
    await writeFile(join(ws, 'a.txt'), 'a, edited\n')
    const { tree, files } = await buildResultTree({ workspace: ws, gitDir, baseline, excluded: [] })

    const result = await applyToFolder({ folder, gitDir, baseline, tree, files, mode: 'files', author })
    expect(result.written).toEqual(['a.txt', 'new-link', 'old-link'])
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings?.[0]).toMatch(
      /The folder cannot hold symlinks; 2 symlinks were written.*new-link, old-link/,
    )
    await expectLinkAsFile(join(folder, 'new-link'), 'b.txt')
    await expectLinkAsFile(join(folder, 'old-link'), 'b.txt')
    expect(await readFile(join(folder, 'a.txt'), 'utf8')).toBe('a, edited\n')
  })
})
