import { join } from 'node:path'
import { NULL_SHA } from './diff-parse'
import { runGit, type GitOptions } from './git'
import { indexInfoRecord, type Change } from './tree-entries'

/**
 * Carrying a change onto a base tree that is not the task's baseline: the commit a git task started from
 * (a pushed branch, see source-tree.ts) or the HEAD of the folder's repository (apply on a branch, see
 * apply-branch.ts). The new tree is the base's with only the changed paths replaced, so every other entry
 * keeps what the base has: its mode, its symbolic link, its name beside a name differing only in case —
 * also where the task's filesystem could not hold them and the baseline recorded something else.
 *
 * A changed path keeps the base's mode unless the change itself changed the mode (a `chmod +x`, or a file
 * made a link, on a filesystem that holds those): a baseline recorded on a disk without executable bits
 * has `gradlew` as 100644, and an edit of it stays 100755 on the base.
 */
export interface BaseEntry {
  mode: string
  sha: string
}

/** The base's entries at `paths` (`prefix` + path, read from the whole tree), by path. */
export async function baseEntries(
  git: GitOptions,
  base: string,
  paths: string[],
  prefix = '',
): Promise<Map<string, BaseEntry>> {
  const found = new Map<string, BaseEntry>()
  const wanted = paths.map((p) => prefix + p)
  for (let i = 0; i < wanted.length; i += 500) {
    const res = await runGit(
      ['ls-tree', '-r', '-z', '--full-tree', base, '--', ...wanted.slice(i, i + 500)],
      {
        ...git,
        env: { ...git.env, GIT_LITERAL_PATHSPECS: '1' },
      },
    )
    for (const rec of res.stdout.split('\0')) {
      const tab = rec.indexOf('\t')
      if (tab < 0) continue
      const [mode = '', , sha = ''] = rec.slice(0, tab).split(' ')
      const path = rec.slice(tab + 1)
      if (path.startsWith(prefix)) found.set(path.slice(prefix.length), { mode, sha })
    }
  }
  return found
}

/** Changed paths whose content on the base is not the baseline's (present vs absent counts), sorted. */
export function changedOnBase(changes: Change[], base: Map<string, BaseEntry>): string[] {
  return changes
    .filter((c) => base.get(c.path)?.sha !== c.old?.sha)
    .map((c) => c.path)
    .sort()
}

/** The mode a changed path gets on the base (see above); undefined for a deletion. */
export function carriedMode(change: Change, base: BaseEntry | undefined): string | undefined {
  if (!change.new) return undefined
  if (base && change.old && change.old.mode === change.new.mode) return base.mode
  return change.new.mode
}

/**
 * The tree of `base` with `changes` applied at `prefix` + path, written through a throw-away index in
 * `scratchDir`. The new blobs must be readable from `git`'s repository. `entries`: `baseEntries` of the
 * changed paths.
 */
export async function treeWithChanges(
  git: GitOptions,
  base: string,
  changes: Change[],
  entries: Map<string, BaseEntry>,
  opts: { scratchDir: string; prefix?: string },
): Promise<string> {
  const prefix = opts.prefix ?? ''
  const index: GitOptions = { ...git, env: { ...git.env, GIT_INDEX_FILE: join(opts.scratchDir, 'index') } }
  await runGit(['read-tree', base], index)
  // Removals first: a file may take the place of a removed directory.
  const removals = changes.filter((c) => !c.new).map((c) => indexInfoRecord('0', NULL_SHA, prefix + c.path))
  const updates = changes.flatMap((c) => {
    const mode = carriedMode(c, entries.get(c.path))
    return c.new && mode ? [indexInfoRecord(mode, c.new.sha, prefix + c.path)] : []
  })
  await runGit(['update-index', '-z', '--index-info'], {
    ...index,
    input: removals.join('') + updates.join(''),
  })
  return (await runGit(['write-tree'], index)).stdout.trim()
}
