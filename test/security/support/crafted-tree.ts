import { runGit } from '../../../src/main/git/git'

/**
 * A tree git's own index would refuse (say it holds `GIT~1/hooks/pre-commit`), made with `git mktree`,
 * which does not check names: what an older baseline, another git, or a bug could hand the publish
 * steps. `base` is a tree-ish; `files` are added at paths whose first component is new in it.
 */
export async function craftTree(
  gitDir: string,
  base: string,
  files: Record<string, string>,
): Promise<string> {
  const git = { gitDir }
  const rootLines = (await runGit(['ls-tree', '-z', base], git)).stdout.split('\0').filter(Boolean)
  for (const [path, content] of Object.entries(files)) {
    const parts = path.split('/')
    let sha = (await runGit(['hash-object', '-w', '--stdin'], { ...git, input: content })).stdout.trim()
    let line = `100644 blob ${sha}\t${parts.at(-1)}`
    for (const name of parts.slice(0, -1).reverse()) {
      sha = (await runGit(['mktree', '-z'], { ...git, input: `${line}\0` })).stdout.trim()
      line = `040000 tree ${sha}\t${name}`
    }
    rootLines.push(line)
  }
  return (
    await runGit(['mktree', '-z'], { ...git, input: rootLines.map((l) => `${l}\0`).join('') })
  ).stdout.trim()
}
