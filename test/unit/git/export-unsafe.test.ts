import { execFile } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { exportPatch, exportZip } from '../../../src/main/git/export'
import type { PathProblem } from '../../../src/main/git/path-names'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { appErrorOf, writeFiles } from '../../support/files'
import { taskFixture } from '../../support/git-fixture'
import { craftTree } from '../../security/support/crafted-tree'

const zipListing = async (zip: string): Promise<string[]> =>
  (await promisify(execFile)('zipinfo', ['-1', zip], { encoding: 'utf8' })).stdout
    .split('\n')
    .filter(Boolean)
    .sort()

/** The user's code has a Linux-only name of its own; the agent adds names Windows cannot hold. */
async function prepared() {
  const f = await taskFixture((dir) => writeFiles(dir, { 'src/aux.c': 'int aux;\n', 'README.md': '# r\n' }))
  await writeFiles(f.ws, {
    'con.txt': 'c\n',
    'docs/a:b': 'stream\n',
    'ok.txt': 'fine\n',
    'src/aux.c': 'int aux = 1;\n',
  })
  const result = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
  return { ...f, ...result }
}

describe('exports never hold an unsafe path (decision: left out, and reported)', () => {
  it('a ZIP leaves out the names the change adds that Windows cannot hold, keeps the user’s own', async () => {
    const f = await prepared()
    const dest = join(f.root, 'out.zip')
    const omitted: PathProblem[] = []
    await exportZip({ gitDir: f.gitDir, tree: f.tree, dest, onOmitted: (o) => omitted.push(...o) })
    expect(await zipListing(dest)).toEqual(['README.md', 'ok.txt', 'src/', 'src/aux.c'])
    expect(omitted.map((o) => o.path)).toEqual(['con.txt', 'docs/a:b'])
    expect(omitted[0]?.reason).toMatch(/reserved device name/)
  })

  it('a patch leaves them out too; the rest of the change is there', async () => {
    const f = await prepared()
    const omitted: PathProblem[] = []
    const patch = (
      await exportPatch({
        gitDir: f.gitDir,
        baseline: f.baseline,
        tree: f.tree,
        onOmitted: (o) => omitted.push(...o),
      })
    ).toString('utf8')
    expect(patch).toContain('b/ok.txt')
    expect(patch).toContain('b/src/aux.c')
    expect(patch).not.toContain('con.txt')
    expect(patch).not.toContain('a:b')
    expect(omitted.map((o) => o.path)).toEqual(['con.txt', 'docs/a:b'])
  })

  it('.git aliases the agent wrote never reach an export (git refuses to stage them)', async () => {
    const f = await taskFixture((dir) => writeFiles(dir, { 'a.txt': 'a\n' }))
    await writeFiles(f.ws, { 'GIT~1/hooks/pre-commit': 'owned\n', '.git./x': 'owned\n', 'b.txt': 'b\n' })
    const result = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    expect(result.skipped?.map((s) => s.path)).toEqual(['.git./x', 'GIT~1/hooks/pre-commit'])
    const dest = join(f.root, 'out.zip')
    await exportZip({ gitDir: f.gitDir, tree: result.tree, dest })
    expect(await zipListing(dest)).toEqual(['a.txt', 'b.txt'])
    const patch = await exportPatch({ gitDir: f.gitDir, baseline: f.baseline, tree: result.tree })
    expect(patch.toString('utf8')).not.toContain('owned')
  })

  it('a tree that does hold .git aliases is refused whole, with a clear message, and no ZIP is made', async () => {
    const f = await taskFixture((dir) => writeFiles(dir, { 'a.txt': 'a\n' }))
    const tree = await craftTree(f.gitDir, f.baseline, {
      'GIT~1/hooks/pre-commit': 'owned\n',
      'ok.txt': 'ok\n',
    })
    const dest = join(f.root, 'out.zip')
    const zipErr = await appErrorOf(exportZip({ gitDir: f.gitDir, tree, dest }))
    expect(zipErr.kind).toBe('invalid_input')
    expect(zipErr.message).toContain('Refusing to export the ZIP')
    expect(zipErr.message).toContain('"GIT~1/hooks/pre-commit" has "GIT~1", another name for .git')
    await expect(access(dest)).rejects.toThrow()
    const patchErr = await appErrorOf(exportPatch({ gitDir: f.gitDir, baseline: f.baseline, tree }))
    expect(patchErr.message).toContain('Refusing to export the patch')
  })
})
