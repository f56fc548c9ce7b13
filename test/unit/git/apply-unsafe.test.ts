import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyToFolder } from '../../../src/main/git/apply-folder'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { appErrorOf, writeFiles } from '../../support/files'
import { snapshot, taskFixture, type TaskFixture } from '../../support/git-fixture'
import { craftTree } from '../../security/support/crafted-tree'

const author = { name: 'Ada Lovelace', email: 'ada@example.com' }
const HOOK = '#!/bin/sh\n# the user’s own hook\n'

/** The user's folder is a real repository with a hook the attack aims at; the task started from it. */
async function userRepo(): Promise<TaskFixture> {
  const f = await taskFixture(async (dir) => {
    await writeFiles(dir, { 'README.md': '# app\n', 'src/aux.c': 'int aux;\n' })
  })
  await runGit(['init', '-q'], { cwd: f.original })
  await runGit(['add', '-A'], { cwd: f.original })
  await runGit(['commit', '-q', '-m', 'first'], { cwd: f.original })
  await writeFile(join(f.original, '.git', 'hooks', 'pre-commit'), HOOK, { mode: 0o755 })
  return f
}

const objectCount = async (repo: string): Promise<string> =>
  (await runGit(['count-objects', '-v'], { cwd: repo })).stdout

describe('applying a change that holds unsafe paths', () => {
  it('refuses the whole apply, listing every offending path, and writes nothing', async () => {
    const f = await userRepo()
    await writeFiles(f.ws, {
      'con.txt': 'device\n',
      'notes/a:b': 'stream\n',
      'trailing.': 'dot\n',
      'README.md': '# app, edited\n',
    })
    const result = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    expect(result.files).toEqual(['README.md', 'con.txt', 'notes/a:b', 'trailing.'])
    const before = await snapshot(f.original)

    for (const mode of ['files', 'branch'] as const) {
      const objects = await objectCount(f.original)
      const err = await appErrorOf(applyToFolder({ ...f, ...result, folder: f.original, mode, author }))
      expect(err.kind).toBe('invalid_input')
      expect(err.message).toMatch(/^Refusing to apply: the change holds 3 paths/)
      expect(err.message).toContain('"con.txt" has "con.txt", a reserved device name on Windows')
      expect(err.message).toContain('"notes/a:b" has a ":"')
      expect(err.message).toContain('"trailing." has "trailing.", which ends in a dot or a space')
      expect(err.message).toMatch(/Nothing was written\.$/)
      expect(err.details?.paths).toEqual(['con.txt', 'notes/a:b', 'trailing.'])
      expect(await snapshot(f.original)).toEqual(before)
      expect(await objectCount(f.original)).toBe(objects)
      expect((await runGit(['branch', '--list'], { cwd: f.original })).stdout.trim()).toMatch(
        /^\* (main|master)$/,
      )
    }
    // Excluding them in the review makes the rest applicable.
    const rest = await buildResultTree({
      ...f,
      workspace: f.ws,
      excluded: ['con.txt', 'notes/a:b', 'trailing.'],
    })
    const applied = await applyToFolder({ ...f, ...rest, folder: f.original, mode: 'files', author })
    expect(applied.written).toEqual(['README.md'])
  })

  it('refuses a tree holding .git aliases (one git itself would not have staged), writing nothing into .git', async () => {
    const f = await userRepo()
    const tree = await craftTree(f.gitDir, f.baseline, {
      'GIT~1/hooks/pre-commit': '#!/bin/sh\necho owned\n',
      '.git./hooks/post-checkout': '#!/bin/sh\necho owned\n',
      '.g\u200cit/hooks/pre-push': '#!/bin/sh\necho owned\n',
      '.git /config': '[core]\n\tfsmonitor = echo owned\n',
      'git~2/hooks/pre-commit': '#!/bin/sh\necho owned\n',
    })
    const files = [
      '.git /config',
      '.git./hooks/post-checkout',
      '.g\u200cit/hooks/pre-push',
      'GIT~1/hooks/pre-commit',
      'git~2/hooks/pre-commit',
    ]
    const before = await snapshot(f.original)
    for (const mode of ['files', 'branch'] as const) {
      const err = await appErrorOf(applyToFolder({ ...f, tree, files, folder: f.original, mode, author }))
      expect(err.kind).toBe('invalid_input')
      expect(err.message).toContain('holds 5 paths')
      expect(err.message).toContain(
        '"GIT~1/hooks/pre-commit" has "GIT~1", another name for .git on Windows or macOS',
      )
      expect(err.message).toContain('".g\\u{200c}it/hooks/pre-push"')
      expect(await snapshot(f.original)).toEqual(before)
    }
    expect(await readdir(join(f.original, '.git', 'hooks'))).toContain('pre-commit')
  })

  it('the engine’s path: .git aliases the agent wrote are left out of the diff and the apply, the rest applies', async () => {
    const f = await userRepo()
    await writeFiles(f.ws, {
      'GIT~1/hooks/pre-commit': '#!/bin/sh\necho owned\n',
      '.git./hooks/post-checkout': '#!/bin/sh\necho owned\n',
      'src/new.ts': 'export {}\n',
    })
    const diff = await computeDiff({ workspace: f.ws, gitDir: f.gitDir, baseline: f.baseline })
    expect(diff.skipped?.map((s) => s.path)).toEqual(['.git./hooks/post-checkout', 'GIT~1/hooks/pre-commit'])
    const result = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    expect(result.files).toEqual(['src/new.ts'])
    const gitBefore = await snapshot(join(f.original, '.git'))
    const applied = await applyToFolder({ ...f, ...result, folder: f.original, mode: 'files', author })
    expect(applied.written).toEqual(['src/new.ts'])
    expect(await snapshot(join(f.original, '.git'))).toEqual(gitBefore)
    expect((await readdir(f.original)).sort()).toEqual(['.git', 'README.md', 'src'])
  })

  it('a name that came with the user’s code (src/aux.c) can still be changed', async () => {
    const f = await userRepo()
    await writeFile(join(f.ws, 'src', 'aux.c'), 'int aux = 2;\n')
    const result = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
    const applied = await applyToFolder({ ...f, ...result, folder: f.original, mode: 'files', author })
    expect(applied.written).toEqual(['src/aux.c'])
  })
})
