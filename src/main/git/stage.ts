import { copyFile, stat, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import type { SkippedEntry } from '../../shared/diff'
import { lstatNoFollow } from '../util/workspace-read'
import { GITLINK_MODE } from './diff-parse'
import { symlinksArgs } from './fs-caps'
import { GitError, runGit, type GitOptions } from './git'
import { gitRefusal } from './path-names'

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

// --ignore-errors: what git cannot stage (a FIFO or socket at a tracked path, a name git refuses) does
// not stop the rest; git exits 1 then, and `leftOut` finds and explains those entries. Commands reading
// the workspace run with the git directory's core.symlinks (`links`, see fs-caps.ts) before their name.
const addArgs = (t: StageTarget): string[] => [
  'add',
  '-A',
  '--ignore-errors',
  ...(t.force ? ['--force'] : []),
]

export interface StageOutcome {
  /** The paths git reported as added or updated (`--verbose`), a hint of what changed; empty when unknown. */
  changed: string[]
  /** Entries git could not stage and that stay out of the index (their last staged version stays). */
  skipped: SkippedEntry[]
}

/**
 * `git add -A` of the whole workspace. With `verify`, also checks that no gitlink got staged (the diff
 * skips that check and looks at its own output instead, which is cheaper). When git succeeds that is
 * all (one process; two with `verify`); only when it reports errors are the entries it could not stage
 * looked for, explained and left out.
 */
export async function stageAll(t: StageTarget, verify: boolean): Promise<StageOutcome> {
  const links = await symlinksArgs(t.gitDir)
  const args = [...addArgs(t), '--verbose']
  const res = await runGit([...links, ...args], repoOptions(t, { successExitCodes: [0, 1] }))
  const changed = addedPaths(res.stdout)
  if (res.exitCode === 0 && (!verify || (await stagedGitlinks(t)).length === 0))
    return { changed, skipped: [] }
  const nested = await stageAroundNestedRepos(t)
  if (res.exitCode === 0) return { changed: [], skipped: nested.skipped }
  const skipped = [...nested.skipped, ...(await leftOut(t, links))]
  if (!nested.handled && skipped.length === 0) throw new GitError(args, res.exitCode, res.stderr)
  return { changed: nested.handled ? [] : changed, skipped: sortSkipped(skipped) }
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

/**
 * Stages the files of nested repositories (their `.git` left out) in place of gitlinks. `handled` is
 * false when there is none (the caller's failure was something else); `skipped`: files in them that git
 * refuses by name.
 */
export async function stageAroundNestedRepos(
  t: StageTarget,
): Promise<{ handled: boolean; skipped: SkippedEntry[] }> {
  const linked = await stagedGitlinks(t)
  const untracked = await listUntracked(t)
  const nested = [...linked, ...untracked.filter((p) => p.endsWith('/')).map((p) => p.slice(0, -1))]
  if (nested.length === 0) return { handled: false, skipped: [] }
  const links = await symlinksArgs(t.gitDir)
  if (linked.length > 0) {
    await runGit(['update-index', '--force-remove', '-z', '--stdin'], repoOptions(t, { input: nul(linked) }))
  }
  const excludes = nested.map((p) => `:(exclude,literal)${p}`)
  await runGit(
    [...links, ...addArgs(t), '--', '.', ...excludes],
    repoOptions(t, { successExitCodes: [0, 1] }),
  )
  const files: string[] = []
  const skipped: SkippedEntry[] = []
  const dirsSeen = new Set<string>()
  for (const root of nested) {
    for (const file of await filesOfNestedRepo(t, root)) {
      const refused = refusalOf(t.workspace, file, dirsSeen)
      if (refused) skipped.push({ path: file, reason: refused })
      else files.push(file)
    }
  }
  if (files.length > 0) {
    await runGit(
      [...links, 'update-index', '--add', '--remove', '-z', '--stdin'],
      repoOptions(t, { input: nul(files) }),
    )
  }
  return { handled: true, skipped }
}

/**
 * The entries a `git add -A --ignore-errors` left out, each with the reason: tracked paths that still
 * differ from the index (a FIFO, socket or device now stands there, or git could not read the file) and
 * untracked files still untracked (a name git refuses, or unreadable). Types come from lstat of a path
 * whose parents are real directories; nothing is opened.
 */
async function leftOut(t: StageTarget, links: string[]): Promise<SkippedEntry[]> {
  const tracked = await runGit([...links, 'diff-files', '--name-only', '-z'], repoOptions(t))
  const untracked = await listUntracked(t)
  const dirsSeen = new Set<string>()
  const out: SkippedEntry[] = []
  for (const path of tracked.stdout.split('\0').filter(Boolean)) {
    const reason = skipReason(t.workspace, path, dirsSeen)
    if (reason) out.push({ path, reason })
  }
  for (const path of untracked) {
    if (path.endsWith('/')) continue // a nested repository: stageAroundNestedRepos's
    out.push({ path, reason: skipReason(t.workspace, path, dirsSeen) ?? 'could not be staged' })
  }
  return out
}

/** Why git could not stage `path`; undefined when it is gone or not of a kind git refuses. */
function skipReason(workspace: string, path: string, dirsSeen: Set<string>): string | undefined {
  const found = lstatNoFollow(workspace, path, dirsSeen)
  const info = found.ok ? found.info : undefined
  const refused = gitRefusal(path, { symlink: info?.isSymbolicLink() === true })
  if (refused) return refusedReason(refused)
  if (!info) return undefined
  if (info.isFIFO()) return 'is a FIFO'
  if (info.isSocket()) return 'is a socket'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'is a device'
  if (info.isFile() || info.isSymbolicLink()) return 'could not be read'
  return undefined
}

/** The reason when git refuses `path` by name (a symbolic link named `.gitmodules` counts), else undefined. */
function refusalOf(workspace: string, path: string, dirsSeen: Set<string>): string | undefined {
  const found = lstatNoFollow(workspace, path, dirsSeen)
  const refused = gitRefusal(path, { symlink: found.ok && found.info?.isSymbolicLink() === true })
  return refused && refusedReason(refused)
}

const refusedReason = (refusal: string): string =>
  `is a name git refuses (${refusal.replace(/^(has|is) /, '')})`

const sortSkipped = (entries: SkippedEntry[]): SkippedEntry[] => {
  const seen = new Map<string, SkippedEntry>()
  for (const e of entries) if (!seen.has(e.path)) seen.set(e.path, e)
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
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

/**
 * Copies an index file keeping its modification time. Git tells "racily clean" entries (a file changed in
 * the same tick the index was written, its size unchanged) by comparing their times with the index
 * file's own: a copy stamped now would make them look settled, and such an edit would be missed. The
 * copy's time is the original's, rounded down to the millisecond (never later, so never less careful).
 */
export async function copyIndex(from: string, to: string): Promise<void> {
  const { atime, mtime } = await stat(from)
  await copyFile(from, to)
  await utimes(to, atime, mtime)
}
