import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordBaseline } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { importFolder } from '../../../src/main/sources/folder'
import { importGitUrl } from '../../../src/main/sources/git-url'
import { importZip } from '../../../src/main/sources/zip'
import { startGitServer } from '../../support/git-server'
import { tempDir } from '../../support/tmp'
import { mountVfat, type VfatMount } from '../../support/vfat'
import { archive, LIMITS, refused } from './zip-helpers'

/**
 * Imports onto a FAT disk (no symlinks, names compared without case: a Windows or default macOS volume,
 * a USB stick). Needs root and a loop device (test/support/vfat.ts says what else); a machine that cannot
 * mount one fails these tests, saying what is missing.
 */
let fat: VfatMount
let n = 0
/** A fresh directory on the FAT disk (that does not exist yet when `create` is false). */
async function onFat(create = true): Promise<string> {
  const dir = join(fat.dir, `t${n++}`)
  if (create) await mkdir(dir)
  return dir
}

beforeAll(async () => {
  fat = await mountVfat(64)
})
afterAll(async () => {
  await fat?.unmount()
})

/** Asserts `path` is a regular file holding `target` (git's core.symlinks=false form of a link). */
async function expectLinkAsFile(path: string, target: string): Promise<void> {
  const info = await lstat(path)
  expect(info.isFile(), `${path} is a regular file`).toBe(true)
  expect(await readFile(path, 'utf8')).toBe(target)
}

/**
 * Records the baseline as the engine would with the import's `linksAsFiles`; returns the baseline's tree
 * and the paths a diff of the untouched workspace reports (none: the link-as-file is no change).
 */
async function baselineOf(
  workspace: string,
  linksAsFiles: string[],
): Promise<{ tree: string; changed: string[]; diffNow: () => Promise<string> }> {
  const gitDir = join(await tempDir('codex-fat-git-'), 'git')
  const { commit: baseline } = await recordBaseline({ workspace, gitDir, linksAsFiles })
  const tree = (await runGit(['ls-tree', '-r', baseline], { gitDir })).stdout
  const diff = await computeDiff({ workspace, gitDir, baseline })
  const diffNow = async (): Promise<string> => (await computeDiff({ workspace, gitDir, baseline })).patch
  return { tree, changed: diff.fileDiffs.map((f) => `${f.status} ${f.newPath}`), diffNow }
}

describe('imports onto a disk without symlinks (FAT)', () => {
  it('folder import writes a symlink as a file holding its target, warns, and the baseline keeps a symlink', async () => {
    const source = await tempDir('codex-fat-src-')
    await writeFile(join(source, 'target.txt'), 'the target\n')
    await mkdir(join(source, 'sub'))
    await symlink('../target.txt', join(source, 'sub', 'link'))
    const dest = await onFat(false)
    const result = await importFolder({ source, dest })
    expect(result.linksAsFiles).toEqual(['sub/link'])
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]).toMatch(/cannot hold symlinks.*sub\/link/)
    await expectLinkAsFile(join(dest, 'sub', 'link'), '../target.txt')
    expect(await readFile(join(dest, 'target.txt'), 'utf8')).toBe('the target\n')

    const { tree, changed, diffNow } = await baselineOf(dest, result.linksAsFiles)
    expect(tree).toMatch(/^120000 blob [0-9a-f]{40}\tsub\/link$/m)
    expect(tree).toMatch(/^100\d{3} blob [0-9a-f]{40}\ttarget\.txt$/m)
    expect(changed).toEqual([])
    // The agent retargets the link the only way this disk allows: the change is a symlink's, not a file's.
    await writeFile(join(dest, 'sub', 'link'), '../other.txt')
    const patch = await diffNow()
    expect(patch).toMatch(/index [0-9a-f]+\.\.[0-9a-f]+ 120000\n/)
    expect(patch).toContain('-../target.txt\n\\ No newline at end of file\n+../other.txt')
  })

  it('ZIP import writes a symlink as a file holding its target and warns', async () => {
    const { file } = await archive([
      { name: 'proj/a.txt', data: 'a\n' },
      { name: 'proj/docs/link', symlink: '../a.txt' },
    ])
    const dest = await onFat(false)
    const result = await importZip({ file, dest, limits: LIMITS })
    expect(result.linksAsFiles).toEqual(['docs/link'])
    expect(result.warnings.join('\n')).toMatch(/cannot hold symlinks.*docs\/link/)
    await expectLinkAsFile(join(dest, 'docs', 'link'), '../a.txt')

    const { tree, changed } = await baselineOf(dest, result.linksAsFiles)
    expect(tree).toMatch(/^120000 blob [0-9a-f]{40}\tdocs\/link$/m)
    expect(changed).toEqual([])
  })

  it('ZIP names that differ only in case fail with both names, leaving nothing behind', async () => {
    const { file } = await archive([
      { name: 'README', data: 'upper\n' },
      { name: 'src/main.c', data: 'int main;\n' },
      { name: 'readme', data: 'lower\n' },
    ])
    const parent = await onFat()
    const dest = join(parent, 'ws')
    const err = await refused(importZip({ file, dest, limits: LIMITS }), 'import_failed')
    expect(err.message).toContain('"README"')
    expect(err.message).toContain('"readme"')
    expect(err.message).toMatch(/same name on this disk/)
    expect(await readdir(parent)).toEqual([])

    // An existing (empty) destination is left empty.
    await mkdir(dest)
    await refused(importZip({ file, dest, limits: LIMITS }), 'import_failed', /"README" and "readme"/)
    expect(await readdir(dest)).toEqual([])
  })

  it('a file and a folder that differ only in case collide too; folders alone merge', async () => {
    const clash = await archive([
      { name: 'Docs', data: 'a file\n' },
      { name: 'docs/guide.md', data: '# guide\n' },
    ])
    const dest = await onFat(false)
    await refused(
      importZip({ file: clash.file, dest, limits: LIMITS }),
      'import_failed',
      /"docs" and "Docs"|"Docs" and "docs/,
    )
    const merge = await archive([
      { name: 'Src/a.c', data: 'a\n' },
      { name: 'src/b.c', data: 'b\n' },
    ])
    const result = await importZip({ file: merge.file, dest, limits: LIMITS })
    expect(result.files).toBe(2)
  })

  it('a clone checks symlinks out as files holding their target and warns', async () => {
    const server = await startGitServer()
    try {
      const url = await server.createRepo('links', { 'README.md': '# links\n' })
      await addSymlink(join(server.root, 'links.git'), 'docs/readme-link', '../README.md')
      const dest = await onFat(false)
      const result = await importGitUrl({ url, dest, allowLocalHttp: true })
      expect(result.linksAsFiles).toEqual(['docs/readme-link'])
      expect(result.warnings.join('\n')).toMatch(/cannot hold symlinks.*docs\/readme-link/)
      await expectLinkAsFile(join(dest, 'docs', 'readme-link'), '../README.md')
      expect(await readFile(join(dest, 'README.md'), 'utf8')).toBe('# links\n')
    } finally {
      await server.close()
    }
  })
})

/** Commits a symlink `path` -> `target` on main of the bare repository `repo`. */
async function addSymlink(repo: string, path: string, target: string): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'codex-git-work-'))
  try {
    const git = { cwd: work, gitDir: repo, workTree: work, env: { GIT_INDEX_FILE: join(work, '.index') } }
    await runGit(['read-tree', 'refs/heads/main'], git)
    await mkdir(join(work, path, '..'), { recursive: true })
    await symlink(target, join(work, path))
    await runGit(['add', '--', path], git)
    const tree = (await runGit(['write-tree'], git)).stdout.trim()
    const commit = (
      await runGit(['commit-tree', tree, '-p', 'refs/heads/main', '-m', 'link'], git)
    ).stdout.trim()
    await runGit(['update-ref', 'refs/heads/main', commit], git)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
