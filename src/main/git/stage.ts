import { join } from 'node:path'
import { GITLINK_MODE } from './diff-parse'
import { GitError, runGit, type GitOptions } from './git'

/**
 * Staging a workspace into an index of a git directory that lives outside it.
 *
 * `.git` entries are never staged (git skips anything named `.git`). A directory that holds its own
 * repository (say the agent ran `git init` in `sub/`) would make `git add` record a gitlink, or fail
 * when that repository has no commit yet; instead its files are staged as ordinary files and its
 * `.git` stays out.
 */
export interface StageTarget {
  workspace: string
  gitDir: string
  /** GIT_INDEX_FILE; default the git directory's own index. */
  indexFile?: string
  /** Stage ignored files too (the baseline: everything that was imported). */
  force: boolean
  signal?: AbortSignal
}

export function repoOptions(t: StageTarget, extra: GitOptions = {}): GitOptions {
  return {
    cwd: t.workspace,
    gitDir: t.gitDir,
    workTree: t.workspace,
    signal: t.signal,
    ...extra,
    env: { ...(t.indexFile ? { GIT_INDEX_FILE: t.indexFile } : {}), ...extra.env },
  }
}

const addArgs = (t: StageTarget): string[] => ['add', '-A', ...(t.force ? ['--force'] : [])]

/**
 * `git add -A` of the whole workspace. With `verify`, also checks that no gitlink got staged (the
 * diff skips that check and looks at its own output instead, which is cheaper). Returns the paths
 * git reported as added or updated (`--verbose`), a hint of what changed; empty when unknown.
 */
export async function stageAll(t: StageTarget, verify: boolean): Promise<string[]> {
  const args = [...addArgs(t), '--verbose']
  const res = await runGit(args, repoOptions(t, { successExitCodes: [0, 128] }))
  if (res.exitCode === 0 && (!verify || (await stagedGitlinks(t)).length === 0)) return addedPaths(res.stdout)
  const handled = await stageAroundNestedRepos(t)
  if (!handled && res.exitCode !== 0) throw new GitError(args, res.exitCode, res.stderr)
  return []
}

/** `add 'path'` lines of `git add --verbose`. */
function addedPaths(output: string): string[] {
  const paths: string[] = []
  for (const line of output.split('\n')) {
    if (line.startsWith("add '") && line.endsWith("'")) paths.push(line.slice(5, -1))
  }
  return paths
}

/** Paths staged as gitlinks (mode 160000). */
export async function stagedGitlinks(t: StageTarget): Promise<string[]> {
  const { stdout } = await runGit(['ls-files', '-s', '-z'], repoOptions(t))
  const out: string[] = []
  for (const record of stdout.split('\0')) {
    if (!record.startsWith(`${GITLINK_MODE} `)) continue
    const tab = record.indexOf('\t')
    if (tab >= 0) out.push(record.slice(tab + 1))
  }
  return out
}

/** Untracked paths under `t.workspace` relative to it; nested repositories end with `/`. */
async function listUntracked(t: StageTarget): Promise<string[]> {
  const args = ['ls-files', '-o', '-z', ...(t.force ? [] : ['--exclude-standard'])]
  const { stdout } = await runGit(args, repoOptions(t))
  return stdout.split('\0').filter(Boolean)
}

/** Returns false when there is no nested repository (the caller's failure was something else). */
export async function stageAroundNestedRepos(t: StageTarget): Promise<boolean> {
  const linked = await stagedGitlinks(t)
  const untracked = await listUntracked(t)
  const nested = [...linked, ...untracked.filter((p) => p.endsWith('/')).map((p) => p.slice(0, -1))]
  if (nested.length === 0) return false
  if (linked.length > 0) {
    await runGit(['update-index', '--force-remove', '-z', '--stdin'], repoOptions(t, { input: nul(linked) }))
  }
  const excludes = nested.map((p) => `:(exclude,literal)${p}`)
  await runGit([...addArgs(t), '--', '.', ...excludes], repoOptions(t))
  const files: string[] = []
  for (const root of nested) files.push(...(await filesOfNestedRepo(t, root)))
  if (files.length > 0) {
    await runGit(
      ['update-index', '--add', '--remove', '-z', '--stdin'],
      repoOptions(t, { input: nul(files) }),
    )
  }
  return true
}

/** The files of a nested repository's work tree (its `.git` left out), recursing into deeper ones. */
async function filesOfNestedRepo(t: StageTarget, root: string): Promise<string[]> {
  const sub: StageTarget = {
    ...t,
    workspace: join(t.workspace, root),
    // An index that does not exist: every file under the nested root counts as untracked.
    indexFile: join(t.gitDir, 'codex-empty.index'),
  }
  const out: string[] = []
  for (const entry of await listUntracked(sub)) {
    if (entry.endsWith('/')) {
      const deeper = await filesOfNestedRepo(t, `${root}/${entry.slice(0, -1)}`)
      out.push(...deeper)
    } else {
      out.push(`${root}/${entry}`)
    }
  }
  return out
}

const nul = (paths: string[]): string => paths.map((p) => `${p}\0`).join('')
