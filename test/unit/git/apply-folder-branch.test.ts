import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyToFolder } from '../../../src/main/git/apply-folder'
import { runGit } from '../../../src/main/git/git'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { appErrorOf, writeFiles } from '../../support/files'
import { snapshot, taskFixture, type TaskFixture } from '../../support/git-fixture'

const author = { name: 'Ada Lovelace', email: 'ada@example.com' }

type Prepared = TaskFixture & {
  tree: string
  files: string[]
  repo: string
  user: (a: string[]) => Promise<string>
}

/** The user's repository holds the original files in `project/` (the folder the task imported). */
async function prepared(): Promise<Prepared> {
  const f = await taskFixture(async (dir) => {
    await writeFiles(dir, { 'a.txt': 'one\ntwo\n', 'b.txt': 'bee\n', 'lib/c.txt': 'sea\n' })
  })
  const repo = join(f.root, 'repo')
  await mkdir(repo)
  const user = async (args: string[]): Promise<string> => (await runGit(args, { cwd: repo })).stdout
  await user(['init', '-q', '--initial-branch=trunk'])
  await writeFiles(join(repo, 'project'), { 'a.txt': 'one\ntwo\n', 'b.txt': 'bee\n', 'lib/c.txt': 'sea\n' })
  await writeFiles(repo, { 'README.md': 'outside the folder\n' })
  await user(['add', '-A'])
  await user(['commit', '-q', '-m', 'first'])

  await writeFile(join(f.ws, 'a.txt'), 'one\nTWO\n')
  await writeFiles(f.ws, { 'lib/new.txt': 'new\n' })
  await rm(join(f.ws, 'b.txt'))
  const result = await buildResultTree({ ...f, workspace: f.ws, excluded: [] })
  return { ...f, ...result, repo, user }
}

async function state(p: Prepared): Promise<Record<string, unknown>> {
  return {
    head: (await p.user(['rev-parse', 'HEAD'])).trim(),
    branch: (await p.user(['symbolic-ref', 'HEAD'])).trim(),
    index: (await readFile(join(p.repo, '.git', 'index'))).toString('base64'),
    worktree: await snapshot(p.repo, ['.git']),
  }
}

describe('applyToFolder (branch)', () => {
  it('commits the change on a new branch, leaving working tree, index and HEAD untouched', async () => {
    const p = await prepared()
    // The user has work in progress: a staged and an unstaged change.
    await writeFile(join(p.repo, 'README.md'), 'edited, unstaged\n')
    await writeFiles(join(p.repo, 'project'), { 'staged.txt': 'staged\n' })
    await p.user(['add', 'project/staged.txt'])
    const before = await state(p)

    const folder = join(p.repo, 'project')
    const out = await applyToFolder({ ...p, folder, mode: 'branch', branch: 'ai/apply', author })
    expect(out.branch).toBe('ai/apply')
    expect(out.written).toEqual(['a.txt', 'b.txt', 'lib/new.txt'])
    expect(await state(p)).toEqual(before)

    const head = (before.head as string).trim()
    const commit = out.commit ?? 'missing'
    expect((await p.user(['rev-parse', 'refs/heads/ai/apply'])).trim()).toBe(out.commit)
    expect((await p.user(['rev-parse', `${out.commit}^`])).trim()).toBe(head)
    expect((await p.user(['log', '-1', '--format=%an <%ae>|%cn', commit])).trim()).toBe(
      'Ada Lovelace <ada@example.com>|Ada Lovelace',
    )
    expect(await p.user(['show', `${out.commit}:project/a.txt`])).toBe('one\nTWO\n')
    expect(await p.user(['show', `${out.commit}:project/lib/new.txt`])).toBe('new\n')
    const files = (await p.user(['ls-tree', '-r', '--name-only', commit])).trim().split('\n')
    expect(files).toEqual(['README.md', 'project/a.txt', 'project/lib/c.txt', 'project/lib/new.txt'])
    expect((await p.user(['fsck', '--no-progress'])).trim()).toBe('')

    // The name is taken now: the next one gets a suffix.
    const again = await applyToFolder({ ...p, folder, mode: 'branch', branch: 'ai/apply', author })
    expect(again.branch).toBe('ai/apply-2')
  })

  it("refuses when the current branch's version of a touched file is not the task's starting point", async () => {
    const p = await prepared()
    await writeFile(join(p.repo, 'project', 'a.txt'), 'committed meanwhile\n')
    await p.user(['commit', '-q', '-am', 'meanwhile'])
    const before = await p.user(['for-each-ref'])
    const err = await appErrorOf(
      applyToFolder({ ...p, folder: join(p.repo, 'project'), mode: 'branch', branch: 'x', author }),
    )
    expect(err.kind).toBe('conflict')
    expect(err.details?.paths).toEqual(['a.txt'])
    expect(await p.user(['for-each-ref'])).toBe(before)
  })

  it('says so when the folder is not in a git repository', async () => {
    const p = await prepared()
    const err = await appErrorOf(applyToFolder({ ...p, folder: p.original, mode: 'branch', author }))
    expect(err.kind).toBe('invalid_input')
    expect(err.message).toMatch(/not inside a git repository/)
  })
})
