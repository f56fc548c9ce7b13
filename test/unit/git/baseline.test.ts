import { access, chmod, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { createBaseline } from '../../../src/main/git/baseline'
import { runGit } from '../../../src/main/git/git'
import { tempDir } from '../../support/tmp'

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  )

async function setup(): Promise<{ ws: string; gitDir: string; git: (args: string[]) => Promise<string> }> {
  const root = await tempDir('codex-baseline-')
  const ws = join(root, 'workspace')
  const gitDir = join(root, 'git')
  await mkdir(ws)
  const git = async (args: string[]): Promise<string> =>
    (await runGit(args, { cwd: ws, gitDir, workTree: ws })).stdout
  return { ws, gitDir, git }
}

describe('createBaseline', () => {
  it('commits every file in a separate git directory and leaves no .git in the workspace', async () => {
    const { ws, gitDir, git } = await setup()
    await mkdir(join(ws, 'src', 'deep'), { recursive: true })
    await writeFile(join(ws, 'src', 'deep', 'a.ts'), 'export const a = 1\n')
    await writeFile(join(ws, 'run.sh'), '#!/bin/sh\n')
    await chmod(join(ws, 'run.sh'), 0o755)
    await symlink('src/deep/a.ts', join(ws, 'link'))
    await writeFile(join(ws, 'blob.bin'), Buffer.from([0, 255, 0, 1]))
    // Ignored by the workspace's .gitignore, but imported: the baseline keeps it (add --force).
    await writeFile(join(ws, '.gitignore'), '*.log\n')
    await writeFile(join(ws, 'kept.log'), 'log\n')
    await mkdir(join(ws, 'empty-dir'))

    const sha = await createBaseline({ workspace: ws, gitDir })
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    expect(await exists(join(ws, '.git'))).toBe(false)
    expect((await git(['rev-parse', 'HEAD'])).trim()).toBe(sha)
    expect((await git(['log', '--format=%s'])).trim()).toBe('baseline')

    const tree = await git(['ls-tree', '-r', sha])
    expect(tree).toMatch(/^100644 blob \w+\tsrc\/deep\/a\.ts$/m)
    expect(tree).toMatch(/^100755 blob \w+\trun\.sh$/m)
    expect(tree).toMatch(/^120000 blob \w+\tlink$/m)
    expect(tree).toMatch(/^100644 blob \w+\tblob\.bin$/m)
    expect(tree).toMatch(/\tkept\.log$/m)
    expect(tree).not.toContain('empty-dir')
    expect((await git(['cat-file', '-p', `${sha}:link`])).trim()).toBe('src/deep/a.ts')
  })

  it('records an empty workspace as an empty commit', async () => {
    const { ws, gitDir, git } = await setup()
    const sha = await createBaseline({ workspace: ws, gitDir })
    expect((await git(['ls-tree', '-r', sha])).trim()).toBe('')
  })

  it('stages the files of a nested repository instead of a gitlink, and never a .git', async () => {
    const { ws, gitDir, git } = await setup()
    await writeFile(join(ws, 'top.txt'), 'top\n')
    // A nested repository with a commit, one without, and a stray .git directory with content.
    for (const name of ['with-commit', 'no-commit']) {
      await mkdir(join(ws, name))
      await runGit(['init', '-q'], { cwd: join(ws, name) })
      await writeFile(join(ws, name, 'inner.txt'), `${name}\n`)
    }
    await runGit(['add', '-A'], { cwd: join(ws, 'with-commit') })
    await runGit(['commit', '-q', '-m', 'inner'], { cwd: join(ws, 'with-commit') })
    await mkdir(join(ws, '.git'))
    await writeFile(join(ws, '.git', 'config'), '[core]\n\thooksPath = /tmp/evil\n')

    const sha = await createBaseline({ workspace: ws, gitDir })
    const files = (await git(['ls-tree', '-r', '--name-only', sha])).trim().split('\n').sort()
    expect(files).toEqual(['no-commit/inner.txt', 'top.txt', 'with-commit/inner.txt'])
    expect(await git(['ls-tree', '-r', sha])).not.toContain('160000')
  })

  it('keeps bytes exactly as they are, whatever the workspace .gitattributes says', async () => {
    const { ws, gitDir } = await setup()
    await writeFile(join(ws, '.gitattributes'), '* text eol=lf\n*.txt filter=evil ident\n')
    await writeFile(join(ws, 'crlf.txt'), 'a\r\nb\r\n$Id$\r\n')
    const sha = await createBaseline({ workspace: ws, gitDir })
    const blob = await runGit(['cat-file', 'blob', `${sha}:crlf.txt`], { gitDir })
    expect(blob.stdout).toBe('a\r\nb\r\n$Id$\r\n')
  })

  it('handles 10,000 files', async () => {
    const { ws, gitDir, git } = await setup()
    for (let d = 0; d < 100; d++) {
      await mkdir(join(ws, `d${d}`))
      await Promise.all(
        Array.from({ length: 100 }, (_, f) => writeFile(join(ws, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`)),
      )
    }
    const sha = await createBaseline({ workspace: ws, gitDir })
    const count = (await git(['ls-tree', '-r', '--name-only', sha])).trim().split('\n').length
    expect(count).toBe(10_000)
  }, 60_000)

  it('refuses a git directory inside the workspace, and a non-empty one', async () => {
    const { ws, gitDir } = await setup()
    const inside = await createBaseline({ workspace: ws, gitDir: join(ws, 'meta') }).catch((e: unknown) => e)
    expect(inside).toBeInstanceOf(AppError)
    expect(await exists(join(ws, 'meta'))).toBe(false)
    await mkdir(gitDir)
    await writeFile(join(gitDir, 'stray'), 'x')
    const nonEmpty = await createBaseline({ workspace: ws, gitDir }).catch((e: unknown) => e)
    expect((nonEmpty as AppError).kind).toBe('conflict')
  })
})
