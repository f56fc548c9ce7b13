import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DIFF_INDEX_FILE, recordBaseline } from '../../../src/main/git/baseline'
import { computeDiff } from '../../../src/main/git/diff'
import { runGit } from '../../../src/main/git/git'
import { buildResultTree } from '../../../src/main/git/result-tree'
import { writeFiles } from '../../support/files'
import { tempDir } from '../../support/tmp'

describe('staging in a git directory whose disk holds no symbolic links', () => {
  it('with symlinks = false, a file holding a link’s target stays that link in the diff and the result', async () => {
    const root = await tempDir('codex-fs-caps-')
    const ws = join(root, 'workspace')
    const gitDir = join(root, 'git')
    // A disk without links: the checkout wrote `link` as a file holding its target.
    await writeFiles(ws, { 'a.txt': 'a\n', 'b.txt': 'b\n', link: 'a.txt' })
    const first = await recordBaseline({ workspace: ws, gitDir })
    // What the import does there (or git's init, probing such a disk): the baseline records the link.
    const git = { cwd: ws, gitDir, workTree: ws }
    await runGit(['config', '--file', join(gitDir, 'config'), 'core.symlinks', 'false'], git)
    const sha = (await runGit(['rev-parse', `${first.commit}:link`], git)).stdout.trim()
    for (const index of ['index', DIFF_INDEX_FILE]) {
      await runGit(['update-index', '-z', '--index-info'], {
        ...git,
        input: `120000 ${sha}\tlink\0`,
        env: { GIT_INDEX_FILE: join(gitDir, index) },
      })
    }
    const tree = (await runGit(['write-tree'], git)).stdout.trim()
    const baseline = (await runGit(['commit-tree', tree, '-m', 'baseline'], git)).stdout.trim()

    expect((await computeDiff({ workspace: ws, gitDir, baseline })).fileDiffs).toEqual([])
    await writeFile(join(ws, 'link'), 'b.txt')
    const diff = await computeDiff({ workspace: ws, gitDir, baseline })
    expect(diff.fileDiffs.map((f) => [f.newPath, f.oldMode, f.newMode])).toEqual([
      ['link', '120000', '120000'],
    ])
    const result = await buildResultTree({ gitDir, workspace: ws, baseline, excluded: [] })
    expect((await runGit(['ls-tree', result.tree, 'link'], git)).stdout).toMatch(/^120000 blob /)
  })
})
