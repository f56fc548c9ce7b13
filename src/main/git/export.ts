import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { AppError } from '../errors'
import { BASELINE_BRANCH } from './baseline'
import { PATCH_FORMAT_ARGS } from './diff-parse'
import { gitFailed, runGit, type GitOptions } from './git'
import { describeProblems, unsafePaths, type PathProblem } from './path-names'
import { indexInfoRecord, isRevision, isSymlinkMode, treeChanges } from './tree-entries'
import { renameWithRetry } from '../util/fs'
import { diskFullError, isDiskFull } from '../util/disk-full'

/**
 * Exports of the accepted change: a patch in git's format (binary-safe, renames, modes; applies with
 * `git apply` onto the original files) and a ZIP of the resulting tree.
 *
 * Neither ever holds a path that is unsafe to write (path-names.ts): a .git alias, or a name the change
 * adds that Windows cannot hold (`CON`, `a:b`, `x.`…). Decision: such paths are LEFT OUT, not refused,
 * and reported through `onOmitted` — the rest of the change stays exportable, and a ZIP of the whole
 * tree is not held hostage by one hostile name. Names that came with the user's own code are kept.
 */
export interface ExportPatchOptions {
  gitDir: string
  baseline: string
  tree: string
  signal?: AbortSignal
  /** Called with the paths left out of the export and why (only when there are some). */
  onOmitted?: (omitted: PathProblem[]) => void
}

export async function exportPatch(opts: ExportPatchOptions): Promise<Buffer> {
  assertRevisions(opts.baseline, opts.tree)
  const git: GitOptions = { gitDir: resolve(opts.gitDir), signal: opts.signal }
  const scratch = await mkdtemp(join(tmpdir(), 'codex-export-'))
  try {
    const tree = await withoutUnsafeChanges(git, opts, join(scratch, 'index'))
    const args = ['diff', ...PATCH_FORMAT_ARGS, opts.baseline, tree, '--']
    const res = await runGit(args, git)
    return res.stdoutBuffer ?? Buffer.alloc(0)
  } catch (err) {
    throw gitFailed(err, 'Could not export the patch')
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/**
 * `opts.tree` with every unsafe path of the change put back to its baseline version (or left absent),
 * so that the patch does not touch it; `opts.tree` itself when there is none. Only the change is
 * checked: unchanged files are not in a patch.
 */
async function withoutUnsafeChanges(
  git: GitOptions,
  opts: ExportPatchOptions,
  indexFile: string,
): Promise<string> {
  const changes = await treeChanges(opts.baseline, opts.tree, git)
  const omitted = unsafePaths(
    changes.map((c) => ({ path: c.newPath, existing: c.status !== 'A', symlink: isSymlinkMode(c.newMode) })),
  )
  if (omitted.length === 0) return opts.tree
  assertNoGitRefusals(omitted, 'patch')
  const byPath = new Map(changes.map((c) => [c.newPath, c]))
  const records = omitted.map(({ path }) => {
    const c = byPath.get(path)
    return c && c.status !== 'A' ? indexInfoRecord(c.oldMode, c.oldSha, path) : indexInfoRecord('0', '', path)
  })
  const tree = await treeWith(git, opts.tree, records, indexFile)
  opts.onOmitted?.(omitted)
  return tree
}

export interface ExportZipOptions {
  gitDir: string
  tree: string
  /** Where the ZIP goes; written to a temporary name next to it first, then renamed. */
  dest: string
  /**
   * The task's baseline, to tell the names the change adds from the user's own; default the git
   * directory's baseline branch. Without either, every name is checked as new.
   */
  baseline?: string
  signal?: AbortSignal
  /** Called with the paths left out of the ZIP and why (only when there are some). */
  onOmitted?: (omitted: PathProblem[]) => void
}

/** `git archive --format=zip` of `tree`; returns the size of the ZIP in bytes. */
export async function exportZip(opts: ExportZipOptions): Promise<number> {
  assertRevisions(opts.tree, ...(opts.baseline ? [opts.baseline] : []))
  const git: GitOptions = { gitDir: resolve(opts.gitDir), signal: opts.signal }
  const dest = resolve(opts.dest)
  const partial = join(dirname(dest), `.${randomUUID()}.zip.partial`)
  // Attributes come from an empty work tree and index, not from the archived tree: a .gitattributes
  // in the user's code must not drop files (export-ignore) or rewrite them (export-subst).
  const noAttributes = await mkdtemp(join(tmpdir(), 'codex-archive-'))
  try {
    await mkdir(dirname(dest), { recursive: true })
    const omitted = await unsafeInTree(git, opts.tree, opts.baseline)
    let tree = opts.tree
    if (omitted.length > 0) {
      assertNoGitRefusals(omitted, 'ZIP')
      const removals = omitted.map(({ path }) => indexInfoRecord('0', '', path))
      tree = await treeWith(git, opts.tree, removals, join(noAttributes, 'filter.index'))
      opts.onOmitted?.(omitted)
    }
    await runGit(['archive', '--format=zip', '--worktree-attributes', `--output=${partial}`, tree], {
      gitDir: resolve(opts.gitDir),
      workTree: noAttributes,
      cwd: noAttributes,
      env: { GIT_INDEX_FILE: join(noAttributes, 'index') },
      signal: opts.signal,
    })
    await renameWithRetry(partial, dest)
    return (await stat(dest)).size
  } catch (err) {
    await rm(partial, { force: true })
    throw isDiskFull(err) ? diskFullError(dest, err) : gitFailed(err, 'Could not export the ZIP')
  } finally {
    await rm(noAttributes, { recursive: true, force: true })
  }
}

/** Every path of `tree` unsafe to unpack: the ones the change adds checked fully, the others for .git aliases. */
async function unsafeInTree(git: GitOptions, tree: string, baseline?: string): Promise<PathProblem[]> {
  const base = baseline ?? (await baselineOf(git))
  const added = base
    ? new Set((await treeChanges(base, tree, git)).filter((c) => c.status === 'A').map((c) => c.newPath))
    : undefined
  const listing = await runGit(['ls-tree', '-r', '-z', '--full-tree', tree], git)
  const entries: Array<{ path: string; existing: boolean; symlink: boolean }> = []
  for (const record of listing.stdout.split('\0')) {
    const tab = record.indexOf('\t')
    if (tab < 0) continue
    const path = record.slice(tab + 1)
    const mode = record.slice(0, record.indexOf(' '))
    entries.push({ path, existing: added ? !added.has(path) : false, symlink: isSymlinkMode(mode) })
  }
  return unsafePaths(entries)
}

async function baselineOf(git: GitOptions): Promise<string | undefined> {
  const res = await runGit(['rev-parse', '--verify', '-q', `refs/heads/${BASELINE_BRANCH}^{commit}`], {
    ...git,
    successExitCodes: [0, 1],
  })
  return res.exitCode === 0 ? res.stdout.trim() : undefined
}

/**
 * A tree git itself would refuse to check out cannot come from this app's staging; it is refused
 * whole rather than filtered (git cannot even read it into an index).
 */
function assertNoGitRefusals(omitted: PathProblem[], what: string): void {
  const refused = omitted.filter((p) => p.gitRefuses)
  if (refused.length === 0) return
  throw new AppError(
    'invalid_input',
    `Refusing to export the ${what}: it holds paths git refuses: ${describeProblems(refused)}.`,
    { hint: 'Nothing was exported.', details: { paths: refused.map((p) => p.path) } },
  )
}

/** `tree` with `records` (update-index --index-info) applied, through a scratch index. */
async function treeWith(
  git: GitOptions,
  tree: string,
  records: string[],
  indexFile: string,
): Promise<string> {
  const index: GitOptions = { ...git, env: { ...git.env, GIT_INDEX_FILE: indexFile } }
  await runGit(['read-tree', tree], index)
  await runGit(['update-index', '-z', '--index-info'], { ...index, input: records.join('') })
  return (await runGit(['write-tree'], index)).stdout.trim()
}

function assertRevisions(...revs: string[]): void {
  if (revs.some((r) => !isRevision(r))) {
    throw new AppError('invalid_input', 'The commit or tree to export is not valid.')
  }
}
