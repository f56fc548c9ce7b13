import { execFileSync } from 'node:child_process'
import { cp, mkdir, readFile, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { saveWorkspaceFile } from '../../src/main/engine/workspace-edit'
import { applyToFolder } from '../../src/main/git/apply-folder'
import { createBaseline } from '../../src/main/git/baseline'
import { computeDiff } from '../../src/main/git/diff'
import { exportPatch, exportZip } from '../../src/main/git/export'
import { runGit } from '../../src/main/git/git'
import type { PathProblem } from '../../src/main/git/path-names'
import { buildResultTree } from '../../src/main/git/result-tree'
import type { DiffResult } from '../../src/shared/diff'
import { appErrorOf, writeFiles } from '../support/files'
import { snapshot } from '../support/git-fixture'
import { craftTree } from './support/crafted-tree'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'

/**
 * Hostile paths through the host's git steps, as the engine runs them after a turn: the agent's files
 * are written straight into the workspace, then computeDiff, buildResultTree, applyToFolder and the
 * exports run on it. The user's folder is a real git repository with a hook the attack aims at.
 */
interface GitCase {
  planted: Planted
  folder: string
  ws: string
  gitDir: string
  baseline: string
  /** The folder's .git as it was before the attack. */
  gitBefore: Record<string, string>
}

const USER_HOOK = '#!/bin/sh\n# the user’s own pre-commit hook\n'
const author = { name: 'Ada', email: 'ada@example.com' }

async function gitCase(planted: Planted, files: Record<string, string>): Promise<GitCase> {
  const folder = join(planted.root, 'user-folder')
  await mkdir(folder)
  await writeFiles(folder, files)
  await runGit(['init', '-q'], { cwd: folder })
  await runGit(['add', '-A'], { cwd: folder })
  await runGit(['commit', '-q', '-m', 'the user’s code'], { cwd: folder })
  await writeFile(join(folder, '.git', 'hooks', 'pre-commit'), USER_HOOK, { mode: 0o755 })
  const task = join(planted.dataDir, 'tasks', 't1')
  const ws = join(task, 'workspace')
  await cp(folder, ws, { recursive: true, filter: (src) => !src.startsWith(join(folder, '.git')) })
  const gitDir = join(task, 'git')
  const baseline = await createBaseline({ workspace: ws, gitDir })
  return { planted, folder, ws, gitDir, baseline, gitBefore: await snapshot(join(folder, '.git')) }
}

/** What the hostile hook would do if it ever ran: a marker in the planted home. */
const hook = (c: { planted: Planted }): string => `#!/bin/sh\ntouch ${c.planted.outside}/pwned\n`

const diffOf = (c: GitCase): Promise<DiffResult> =>
  computeDiff({ workspace: c.ws, gitDir: c.gitDir, baseline: c.baseline })
const resultOf = (c: GitCase) =>
  buildResultTree({ workspace: c.ws, gitDir: c.gitDir, baseline: c.baseline, excluded: [] })
const applyFiles = (c: GitCase, tree: string, files: string[], mode: 'files' | 'branch' = 'files') =>
  applyToFolder({ folder: c.folder, gitDir: c.gitDir, baseline: c.baseline, tree, files, mode, author })

async function expectFolderGitUntouched(c: GitCase): Promise<void> {
  expect(await snapshot(join(c.folder, '.git'))).toEqual(c.gitBefore)
  expect(await readFile(join(c.folder, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe(USER_HOOK)
}

/** Names git itself refuses with core.protectNTFS/protectHFS: on Windows or macOS each one is `.git`. */
const REFUSED_BY_GIT = [
  'GIT~1/hooks/pre-commit',
  'git~1/hooks/pre-commit',
  '.git./hooks/post-checkout',
  '.git /hooks/pre-commit',
  '.GIT/hooks/pre-commit',
  '.g\u200cit/hooks/pre-push',
  '.\ufeffgit/hooks/pre-commit',
  '.git::$INDEX_ALLOCATION/hooks/pre-commit',
]

describe('.git aliases the agent writes', () => {
  it.each(REFUSED_BY_GIT)(
    '%j: left out of the diff and the change; an apply never writes it',
    async (alias) => {
      const planted = await plantSecrets()
      const c = await gitCase(planted, { 'src/app.ts': 'export const v = 1\n' })
      await writeFiles(c.ws, { [alias]: hook(c), 'src/app.ts': 'export const v = 2\n' })

      const diff = await diffOf(c)
      expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['src/app.ts'])
      expect(diff.skipped).toEqual([
        { path: alias, reason: expect.stringMatching(/^is a name git refuses \(/) },
      ])
      expect(diff.patch).not.toContain('pwned')
      const result = await resultOf(c)
      expect(result.files).toEqual(['src/app.ts'])
      const applied = await applyFiles(c, result.tree, result.files)
      expect(applied.written).toEqual(['src/app.ts'])
      expect((await readdir(c.folder)).sort()).toEqual(['.git', 'src'])
      await expectFolderGitUntouched(c)

      // A tree that does hold it (from a git without these protections, say) is refused whole.
      const crafted = await craftTree(c.gitDir, result.tree, { [alias]: hook(c) })
      for (const mode of ['files', 'branch'] as const) {
        const err = await appErrorOf(applyFiles(c, crafted, [alias, 'src/app.ts'], mode))
        expect(err.kind).toBe('invalid_input')
        expect(err.message).toMatch(
          /^Refusing to apply: .*another name for \.git on Windows or macOS.*Nothing was written\.$/,
        )
        expect(err.details?.paths).toEqual([alias])
      }
      expect(await readFile(join(c.folder, 'src', 'app.ts'), 'utf8')).toBe('export const v = 2\n')
      await expectFolderGitUntouched(c)
      await expectHeld(planted)
    },
  )

  it('"git~2/hooks/pre-commit" (a short name git lets through): the apply refuses it, writing nothing', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, { 'src/app.ts': 'export const v = 1\n' })
    await writeFiles(c.ws, { 'git~2/hooks/pre-commit': hook(c), 'src/app.ts': 'export const v = 2\n' })
    const result = await resultOf(c)
    expect(result.files).toEqual(['git~2/hooks/pre-commit', 'src/app.ts'])
    const before = await snapshot(c.folder)
    for (const mode of ['files', 'branch'] as const) {
      const err = await appErrorOf(applyFiles(c, result.tree, result.files, mode))
      expect(err.message).toContain('"git~2/hooks/pre-commit" has "git~2", another name for .git')
      expect(err.hint).toMatch(/Exclude these files/)
      expect(await snapshot(c.folder)).toEqual(before)
    }
    await expectFolderGitUntouched(c)
    await expectHeld(planted)
  })

  it('exports of a change holding .git aliases and device names leave them out, or refuse', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, { 'src/app.ts': 'export const v = 1\n' })
    await writeFiles(c.ws, {
      'GIT~1/hooks/pre-commit': hook(c),
      '.git./hooks/post-checkout': hook(c),
      'git~2/hooks/pre-commit': hook(c),
      'con.txt': 'device\n',
      'src/app.ts': 'export const v = 2\n',
    })
    const result = await resultOf(c)
    const exports = join(planted.root, 'exports')
    const omitted: PathProblem[] = []
    const zip = join(exports, 'change.zip')
    await exportZip({ gitDir: c.gitDir, tree: result.tree, dest: zip, onOmitted: (o) => omitted.push(...o) })
    const listing = execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean)
    expect(listing.sort()).toEqual(['src/', 'src/app.ts'])
    expect(omitted.map((o) => o.path)).toEqual(['con.txt', 'git~2/hooks/pre-commit'])
    const patch = await exportPatch({ gitDir: c.gitDir, baseline: c.baseline, tree: result.tree })
    await writeFile(join(exports, 'change.patch'), patch)
    expect(patch.toString('utf8')).not.toMatch(/pwned|con\.txt|git~|GIT~|\.git\./)
    expect(patch.toString('utf8')).toContain('export const v = 2')

    const crafted = await craftTree(c.gitDir, result.tree, { 'GIT~1/hooks/pre-commit': hook(c) })
    const err = await appErrorOf(
      exportZip({ gitDir: c.gitDir, tree: crafted, dest: join(exports, 'bad.zip') }),
    )
    expect(err.message).toMatch(/^Refusing to export the ZIP: it holds paths git refuses/)
    expect(await readdir(exports)).toEqual(['change.patch', 'change.zip'])
    await expect(
      exportPatch({ gitDir: c.gitDir, baseline: c.baseline, tree: crafted }),
    ).rejects.toMatchObject({
      kind: 'invalid_input',
    })
    await expectHeld(planted)
  })
})

describe('special files at tracked paths', () => {
  it('a FIFO: the diff still works and lists it as left out; the other files publish', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, { pipe: 'a regular file\n', 'src/app.ts': 'v1\n' })
    await unlink(join(c.ws, 'pipe'))
    execFileSync('mkfifo', [join(c.ws, 'pipe')])
    await writeFile(join(c.ws, 'src', 'app.ts'), 'v2\n')

    const diff = await diffOf(c)
    expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['src/app.ts'])
    expect(diff.skipped).toEqual([{ path: 'pipe', reason: 'is a FIFO' }])
    const result = await resultOf(c)
    expect(result.files).toEqual(['src/app.ts'])
    expect((await applyFiles(c, result.tree, result.files)).written).toEqual(['src/app.ts'])
    expect(await readFile(join(c.folder, 'pipe'), 'utf8')).toBe('a regular file\n')
    const zip = join(planted.root, 'exports', 'change.zip')
    await exportZip({ gitDir: c.gitDir, tree: result.tree, dest: zip })
    expect(execFileSync('unzip', ['-p', zip, 'pipe'], { encoding: 'utf8' })).toBe('a regular file\n')
    await expectFolderGitUntouched(c)
    await expectHeld(planted)
  })

  it('a socket: the same', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, { sock: 'a regular file\n', 'src/app.ts': 'v1\n' })
    await unlink(join(c.ws, 'sock'))
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(join(c.ws, 'sock'), resolve))
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    await writeFile(join(c.ws, 'src', 'app.ts'), 'v2\n')

    const diff = await diffOf(c)
    expect(diff.fileDiffs.map((f) => f.newPath)).toEqual(['src/app.ts'])
    expect(diff.skipped).toEqual([{ path: 'sock', reason: 'is a socket' }])
    const result = await resultOf(c)
    expect((await applyFiles(c, result.tree, result.files)).written).toEqual(['src/app.ts'])
    expect(await readFile(join(c.folder, 'sock'), 'utf8')).toBe('a regular file\n')
    await expectHeld(planted)
  })
})

describe('links to the planted home', () => {
  it('a tracked folder turned into a link to the home: the diff shows the link, nothing of the home is read', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, {
      'home/.ssh/id_ed25519': 'a placeholder, not a key\n',
      'home/.bashrc': '# the project’s sample\n',
      'notes.txt': 'notes\n',
    })
    await rm(join(c.ws, 'home'), { recursive: true })
    await symlink(planted.outside, join(c.ws, 'home'))
    await unlink(join(c.ws, 'notes.txt'))
    await symlink(planted.hostSecretPath, join(c.ws, 'notes.txt'))

    const diff = await diffOf(c)
    expect(diff.fileDiffs.map((f) => `${f.status} ${f.newPath ?? f.oldPath}`).sort()).toEqual([
      'added home',
      'deleted home/.bashrc',
      'deleted home/.ssh/id_ed25519',
      'type_changed notes.txt',
    ])
    const link = diff.fileDiffs.find((f) => f.newPath === 'home')
    expect(link).toMatchObject({ newMode: '120000', newContent: planted.outside })
    expect(JSON.stringify(diff)).not.toContain(planted.hostSecret)

    const result = await resultOf(c)
    const blobs = await runGit(['ls-tree', '-r', '-z', result.tree], { gitDir: c.gitDir })
    for (const rec of blobs.stdout.split('\0').filter(Boolean)) {
      const sha = rec.split(/\s/)[2] ?? ''
      const blob = await runGit(['cat-file', 'blob', sha], { gitDir: c.gitDir })
      expect(blob.stdout).not.toContain(planted.hostSecret)
    }
    const exports = join(planted.root, 'exports')
    await exportZip({ gitDir: c.gitDir, tree: result.tree, dest: join(exports, 'change.zip') })
    const patch = await exportPatch({ gitDir: c.gitDir, baseline: c.baseline, tree: result.tree })
    await writeFile(join(exports, 'change.patch'), patch)
    expect(patch.toString('utf8')).not.toContain(planted.hostSecret)
    await expectHeld(planted, { also: [{ what: 'the diff', text: JSON.stringify(diff) }] })
  })

  it('an edit saved through a folder turned into a link is refused, and the home is untouched', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, { 'conf/app.json': '{}\n' })
    await rm(join(c.ws, 'conf'), { recursive: true })
    await symlink(join(planted.outside, '.ssh'), join(c.ws, 'conf'))
    for (const path of ['conf/id_ed25519', 'conf/app.json', 'conf/authorized_keys']) {
      const err = await appErrorOf(saveWorkspaceFile(c.ws, path, 'ssh-ed25519 AAAA attacker\n'))
      expect(err.kind).toBe('invalid_input')
      expect(err.message).toContain('through a symbolic link')
    }
    await expectHeld(planted)
  })

  it('an edit saved to a .git alias or a device name is refused', async () => {
    const planted = await plantSecrets()
    const c = await gitCase(planted, { 'a.txt': 'a\n' })
    await mkdir(join(c.ws, 'GIT~1', 'hooks'), { recursive: true })
    for (const path of [
      'GIT~1/hooks/pre-commit',
      '.git./hooks/x',
      '.g\u200cit/config',
      'con.txt',
      'a.txt:stream',
    ]) {
      const err = await appErrorOf(saveWorkspaceFile(c.ws, path, hook(c)))
      expect(err.message).toContain('cannot be saved')
    }
    expect(await readdir(join(c.ws, 'GIT~1', 'hooks'))).toEqual([])
    await expectHeld(planted)
  })
})
