import { spawn } from 'node:child_process'
import { chmod, cp, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportPatch, exportZip } from '../../../src/main/git/export'
import { runGit } from '../../../src/main/git/git'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { writeFiles } from '../../support/files'
import { snapshot, taskFixture } from '../../support/git-fixture'
import { tempDir } from '../../support/tmp'

const BINARY = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13])

async function original(dir: string): Promise<void> {
  await writeFiles(dir, {
    'a.txt': 'one\ntwo\nthree\n',
    'b.txt': 'to be deleted\n',
    'run.sh': '#!/bin/sh\necho hi\n',
    'bin.dat': BINARY,
    'old-name.md': 'a document long enough to be detected as a rename\n'.repeat(5),
    'skip.txt': 'an excluded change\n',
    '.gitattributes': 'bin.dat export-ignore\na.txt export-subst\n',
  })
  await symlink('a.txt', join(dir, 'link'))
}

async function change(ws: string): Promise<void> {
  await writeFile(join(ws, 'a.txt'), 'one\nTWO\nthree\n$Format:%H$\n')
  await unlink(join(ws, 'b.txt'))
  await chmod(join(ws, 'run.sh'), 0o755)
  await writeFile(join(ws, 'bin.dat'), Buffer.concat([BINARY, Buffer.from([7, 0, 7])]))
  await rename(join(ws, 'old-name.md'), join(ws, 'new-name.md'))
  await unlink(join(ws, 'link'))
  await symlink('run.sh', join(ws, 'link'))
  await writeFile(join(ws, 'skip.txt'), 'changed, but excluded\n')
  await writeFiles(ws, { 'dir/added.txt': 'new file\n', 'dir/empty.txt': '' })
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`)),
    )
  })
}

describe('exportPatch', () => {
  it('applies with `git apply` onto a copy of the original, giving the accepted tree', async () => {
    const f = await taskFixture(original)
    await change(f.ws)
    const { tree } = await buildResultTree({ ...f, workspace: f.ws, excluded: ['skip.txt'] })
    const patch = await exportPatch({ gitDir: f.gitDir, baseline: f.baseline, tree })
    expect(patch.toString('utf8')).toContain('GIT binary patch')
    expect(patch.toString('utf8')).toContain('rename from old-name.md')
    expect(patch.toString('utf8')).not.toContain('skip.txt')

    const target = join(await tempDir('codex-apply-patch-'), 'copy')
    await cp(f.original, target, { recursive: true, verbatimSymlinks: true })
    await writeFile(join(target, '..', 'export.patch'), patch)
    await runGit(['apply', '--whitespace=nowarn', join(target, '..', 'export.patch')], { cwd: target })

    const expected = await snapshot(f.ws)
    expected['skip.txt'] = (await snapshot(f.original))['skip.txt'] ?? ''
    expect(await snapshot(target)).toEqual(expected)
  })

  it('is empty when the tree is the baseline', async () => {
    const f = await taskFixture(original)
    const { tree } = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    expect((await exportPatch({ gitDir: f.gitDir, baseline: f.baseline, tree })).length).toBe(0)
  })
})

describe('exportZip', () => {
  it('zips exactly the files of the tree, ignoring export-ignore and export-subst', async () => {
    const f = await taskFixture(original)
    await change(f.ws)
    const { tree } = await buildResultTree({ ...f, workspace: f.ws, excluded: ['skip.txt'] })
    const dest = join(await tempDir('codex-zip-'), 'out', 'export.zip')
    const bytes = await exportZip({ gitDir: f.gitDir, tree, dest })
    expect(bytes).toBe((await stat(dest)).size)

    const listing = (await run('zipinfo', ['-1', dest], f.root)).split('\n').filter(Boolean).sort()
    expect(listing).toEqual([
      '.gitattributes',
      'a.txt',
      'bin.dat',
      'dir/',
      'dir/added.txt',
      'dir/empty.txt',
      'link',
      'new-name.md',
      'run.sh',
      'skip.txt',
    ])
    const out = join(f.root, 'unzipped')
    await run('unzip', ['-q', dest, '-d', out], f.root)
    const got = await snapshot(out)
    const want = await snapshot(f.ws)
    want['skip.txt'] = (await snapshot(f.original))['skip.txt'] ?? ''
    // ZIP keeps the executable bit and links; umask decides the rest, so compare content and kind.
    const strip = (s: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.replace(/^(file|dir) \d+/, '$1')]))
    expect(strip(got)).toEqual(strip(want))
    expect(got['run.sh']).toMatch(/^file 7/)
    expect(got['link']).toBe('link -> run.sh')
  })
})
