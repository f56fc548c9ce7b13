import { chmod, mkdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { FileDiff } from '../../../src/shared/diff'
import { createBaseline } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { tempDir } from '../../support/tmp'

interface Fixture {
  ws: string
  gitDir: string
  baseline: string
  diff: (maxInlineBytes?: number) => ReturnType<typeof computeDiff>
}

async function fixture(files: Record<string, string | Buffer>): Promise<Fixture> {
  const root = await tempDir('codex-diff-')
  const ws = join(root, 'workspace')
  const gitDir = join(root, 'git')
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(ws, path, '..'), { recursive: true })
    await writeFile(join(ws, path), content)
  }
  await mkdir(ws, { recursive: true })
  const baseline = await createBaseline({ workspace: ws, gitDir })
  return {
    ws,
    gitDir,
    baseline,
    diff: (maxInlineBytes) => computeDiff({ workspace: ws, gitDir, baseline, maxInlineBytes }),
  }
}

const byPath = (diffs: FileDiff[], path: string): FileDiff => {
  const found = diffs.find((d) => (d.newPath ?? d.oldPath) === path)
  if (!found) throw new Error(`no diff for ${path}: ${diffs.map((d) => d.newPath ?? d.oldPath).join(', ')}`)
  return found
}

const lines = (n: number, tag: string): string =>
  Array.from({ length: n }, (_, i) => `${tag} line ${i}`).join('\n') + '\n'

describe('computeDiff', () => {
  it('is empty when nothing changed', async () => {
    const f = await fixture({ 'a.txt': 'a\n' })
    const d = await f.diff()
    expect(d).toEqual({ files: 0, additions: 0, deletions: 0, fileDiffs: [], patch: '' })
  })

  it('reports added, modified, deleted and renamed files with counts and contents', async () => {
    const f = await fixture({
      'mod.txt': 'one\ntwo\n',
      'del.txt': 'bye\n',
      'old/name.txt': lines(20, 'keep'),
    })
    await writeFile(join(f.ws, 'mod.txt'), 'one\nTWO\nthree\n')
    await unlink(join(f.ws, 'del.txt'))
    await mkdir(join(f.ws, 'new'))
    await rename(join(f.ws, 'old', 'name.txt'), join(f.ws, 'new', 'name.txt'))
    await writeFile(join(f.ws, 'added.txt'), 'hello\n')
    await mkdir(join(f.ws, 'empty-dir'))

    const d = await f.diff()
    expect(d.fileDiffs.map((x) => x.newPath ?? x.oldPath)).toEqual([
      'added.txt',
      'del.txt',
      'mod.txt',
      'new/name.txt',
    ])
    expect(byPath(d.fileDiffs, 'added.txt')).toEqual({
      oldPath: null,
      newPath: 'added.txt',
      status: 'added',
      additions: 1,
      deletions: 0,
      oldContent: null,
      newContent: 'hello\n',
      binary: false,
      contentOmitted: false,
      oldMode: null,
      newMode: '100644',
      hunks: [
        {
          key: expect.stringMatching(/^[0-9a-f]{40}$/),
          header: '@@ -0,0 +1 @@',
          oldStart: 0,
          oldLines: 0,
          newStart: 1,
          newLines: 1,
          changes: [{ kind: 'add', line: 1 }],
        },
      ],
    })
    // A rename stays whole-file: no hunks to pick from.
    expect(byPath(d.fileDiffs, 'new/name.txt')?.hunks).toBeUndefined()
    expect(byPath(d.fileDiffs, 'del.txt')).toMatchObject({
      status: 'deleted',
      newPath: null,
      deletions: 1,
      oldContent: 'bye\n',
    })
    expect(byPath(d.fileDiffs, 'mod.txt')).toMatchObject({
      status: 'modified',
      additions: 2,
      deletions: 1,
      oldContent: 'one\ntwo\n',
      newContent: 'one\nTWO\nthree\n',
    })
    expect(byPath(d.fileDiffs, 'new/name.txt')).toMatchObject({
      status: 'renamed',
      oldPath: 'old/name.txt',
      newPath: 'new/name.txt',
      additions: 0,
      deletions: 0,
    })
    expect(d).toMatchObject({ files: 4, additions: 3, deletions: 2 })
    expect(d.patch).toContain('diff --git a/mod.txt b/mod.txt')
    expect(d.patch).toContain('rename from old/name.txt')
  })

  it('shows a mode-only change as modified with old and new modes', async () => {
    const f = await fixture({ 'run.sh': '#!/bin/sh\n' })
    await chmod(join(f.ws, 'run.sh'), 0o755)
    const d = await f.diff()
    expect(d.fileDiffs).toEqual([
      expect.objectContaining({
        status: 'modified',
        oldMode: '100644',
        newMode: '100755',
        additions: 0,
        deletions: 0,
      }),
    ])
    expect(d.patch).toContain('old mode 100644\nnew mode 100755')
  })

  it('shows symlinks with their target as content, and file <-> symlink as a type change', async () => {
    const f = await fixture({ 'target.txt': 't\n', 'was-file': 'content\n' })
    await symlink('target.txt', join(f.ws, 'link'))
    await unlink(join(f.ws, 'was-file'))
    await symlink('target.txt', join(f.ws, 'was-file'))
    const d = await f.diff()
    expect(byPath(d.fileDiffs, 'link')).toMatchObject({
      status: 'added',
      newMode: '120000',
      newContent: 'target.txt',
    })
    expect(byPath(d.fileDiffs, 'was-file')).toMatchObject({
      status: 'type_changed',
      oldMode: '100644',
      newMode: '120000',
      oldContent: 'content\n',
      newContent: 'target.txt',
      additions: 1,
      deletions: 1,
    })
  })

  it('detects binary files and does not inline them; the patch carries them as binary patches', async () => {
    const f = await fixture({ 'img.bin': Buffer.from([0, 1, 2, 3, 0, 5]) })
    await writeFile(join(f.ws, 'img.bin'), Buffer.from([0, 9, 9, 9, 0, 9, 9]))
    await writeFile(join(f.ws, 'new.bin'), Buffer.from([0, 0, 0, 1]))
    const d = await f.diff()
    for (const path of ['img.bin', 'new.bin']) {
      expect(byPath(d.fileDiffs, path)).toMatchObject({
        binary: true,
        oldContent: null,
        newContent: null,
        additions: 0,
      })
    }
    expect(d.patch).toContain('GIT binary patch')
  })

  it('omits contents above maxInlineBytes but still counts lines', async () => {
    const f = await fixture({ 'big.txt': lines(2000, 'old') })
    await writeFile(join(f.ws, 'big.txt'), lines(2000, 'new'))
    const d = await f.diff(10_000)
    expect(byPath(d.fileDiffs, 'big.txt')).toMatchObject({
      contentOmitted: true,
      binary: false,
      oldContent: null,
      newContent: null,
      additions: 2000,
      deletions: 2000,
    })
    const inline = await f.diff()
    expect(byPath(inline.fileDiffs, 'big.txt').newContent).toBe(lines(2000, 'new'))
  })

  it('ignores a .git created by the agent, at the root or in a subdirectory', async () => {
    const f = await fixture({ 'a.txt': 'a\n', 'pkg/existing.txt': 'e\n' })
    // The agent runs `git init` at the root and in a new and an existing directory, and commits.
    await runGit(['init', '-q'], { cwd: f.ws })
    await mkdir(join(f.ws, 'sub'))
    await writeFile(join(f.ws, 'sub', 'code.ts'), 'x\n')
    await runGit(['init', '-q'], { cwd: join(f.ws, 'sub') })
    await runGit(['add', '-A'], { cwd: join(f.ws, 'sub') })
    await runGit(['commit', '-q', '-m', 'c'], { cwd: join(f.ws, 'sub') })
    await runGit(['init', '-q'], { cwd: join(f.ws, 'pkg') })
    await writeFile(join(f.ws, 'pkg', 'more.txt'), 'm\n')
    await mkdir(join(f.ws, 'bare-new'))
    await runGit(['init', '-q'], { cwd: join(f.ws, 'bare-new') })
    await writeFile(join(f.ws, 'bare-new', 'b.txt'), 'b\n')

    const d = await f.diff()
    expect(d.fileDiffs.map((x) => x.newPath)).toEqual(['bare-new/b.txt', 'pkg/more.txt', 'sub/code.ts'])
    expect(d.fileDiffs.every((x) => x.status === 'added' && x.newMode === '100644')).toBe(true)
    expect(d.patch).not.toContain('.git/')
    expect(d.patch).not.toContain('Subproject')
  })

  it('honours .gitignore for new files but not for files in the baseline', async () => {
    const f = await fixture({ '.gitignore': 'node_modules/\n*.log\n', 'tracked.log': 'v1\n' })
    await mkdir(join(f.ws, 'node_modules', 'dep'), { recursive: true })
    await writeFile(join(f.ws, 'node_modules', 'dep', 'index.js'), 'x\n')
    await writeFile(join(f.ws, 'new.log'), 'ignored\n')
    await writeFile(join(f.ws, 'tracked.log'), 'v2\n')
    const d = await f.diff()
    expect(d.fileDiffs.map((x) => x.newPath)).toEqual(['tracked.log'])
  })

  it('follows the workspace across turns without moving HEAD, and is deterministic', async () => {
    const f = await fixture({ 'a.txt': 'a\n', 'b.txt': 'b\n' })
    await writeFile(join(f.ws, 'a.txt'), 'a2\n')
    const first = await f.diff()
    expect(first.files).toBe(1)
    await writeFile(join(f.ws, 'a.txt'), 'a\n')
    await rm(join(f.ws, 'b.txt'))
    await writeFile(join(f.ws, 'c.txt'), 'c\n')
    const second = await f.diff()
    expect(second.fileDiffs.map((x) => [x.status, x.oldPath ?? x.newPath])).toEqual([
      ['deleted', 'b.txt'],
      ['added', 'c.txt'],
    ])
    expect(await f.diff()).toEqual(second)
    const head = await runGit(['rev-parse', 'HEAD'], { gitDir: f.gitDir })
    expect(head.stdout.trim()).toBe(f.baseline)
    const headIndex = await runGit(['diff', '--cached', '--name-only', f.baseline], {
      gitDir: f.gitDir,
      workTree: f.ws,
    })
    expect(headIndex.stdout).toBe('')
  })

  it('produces a patch that git apply accepts on a copy of the original', async () => {
    const f = await fixture({ 'a.txt': 'a\n', bin: Buffer.from([0, 1]), 'x.sh': 'x\n' })
    await writeFile(join(f.ws, 'a.txt'), 'A\n')
    await writeFile(join(f.ws, 'bin'), Buffer.from([0, 2, 3]))
    await chmod(join(f.ws, 'x.sh'), 0o755)
    await writeFile(join(f.ws, 'n.txt'), 'n\n')
    const d = await f.diff()
    const copy = await tempDir('codex-apply-')
    await runGit(['init', '-q'], { cwd: copy })
    await runGit(['--work-tree', copy, 'checkout', f.baseline, '--', '.'], { gitDir: f.gitDir })
    await runGit(['apply', '--binary', '-'], { cwd: copy, input: d.patch })
    expect(await readFile(join(copy, 'a.txt'), 'utf8')).toBe('A\n')
    expect([...(await readFile(join(copy, 'bin')))]).toEqual([0, 2, 3])
    expect(await readFile(join(copy, 'n.txt'), 'utf8')).toBe('n\n')
  })
})
