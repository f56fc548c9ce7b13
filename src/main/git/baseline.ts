import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join, relative, resolve, isAbsolute } from 'node:path'
import type { SkippedEntry } from '../../shared/diff'
import { AppError } from '../errors'
import { fsCapsConfig, readFsCaps, type FsCaps } from './fs-caps'
import { gitFailed, runGit } from './git'
import { copyIndex, repoOptions, stageAll, type StageTarget } from './stage'

/**
 * The baseline: every imported file committed in a git directory that lives OUTSIDE the workspace,
 * so nothing in the container can touch history, config or hooks.
 *
 * Decision: the baseline stages with `git add -A --force`. The import step already left out what the
 * user's .gitignore excludes (folder import) or took the files as they are (ZIP, clone), so the
 * baseline is exactly what was imported, ignored or not. The diff then stages WITHOUT --force: changes
 * to any baseline file count, new files the .gitignore excludes (node_modules, build output) do not.
 *
 * The git directory's config keeps what `git init` found its filesystem (the workspace's) can hold:
 * executable bits, symbolic links, case (fs-caps.ts). So on FAT, NTFS or a default macOS disk git ignores
 * what the disk cannot represent, and the diff shows no mode or link change the agent did not make.
 */
export const BASELINE_BRANCH = 'main'
/** The diff's own index; seeded from the baseline's so the first diff only hashes changed files. */
export const DIFF_INDEX_FILE = 'codex-diff.index'

/** After the capabilities git's init found on this filesystem (see fs-caps.ts). */
const localConfig = (caps: FsCaps): string => `[core]
\tautocrlf = false
\tsafecrlf = false
${fsCapsConfig(caps)}\ttrustctime = false
\tprotectNTFS = true
\tprotectHFS = true
\tfsync = none
[gc]
\tauto = 0
[maintenance]
\tauto = false
`

/**
 * The workspace's own .gitattributes must not change bytes or hide content: no eol conversion,
 * filters, ident, encodings, or diff drivers. $GIT_DIR/info/attributes takes precedence over them.
 */
const NEUTRAL_ATTRIBUTES =
  '* !text !eol !crlf !filter !ident !working-tree-encoding !diff !merge !export-subst !export-ignore\n'

export interface BaselineOptions {
  workspace: string
  gitDir: string
  signal?: AbortSignal
  /**
   * Symlinks the import had to write as files holding their targets (a disk without symlinks, see
   * sources/link-fallback.ts): recorded as the symlinks they are (mode 120000, the same blob), with
   * `core.symlinks = false`, so neither the baseline nor any diff after it shows them turned into files.
   */
  linksAsFiles?: readonly string[]
}

export interface Baseline {
  commit: string
  /** Workspace entries git could not stage (a FIFO, a name git refuses…), left out of the baseline. */
  skipped: SkippedEntry[]
}

/** The baseline commit (see `recordBaseline` for what was left out). */
export async function createBaseline(opts: BaselineOptions): Promise<string> {
  return (await recordBaseline(opts)).commit
}

export async function recordBaseline({
  workspace,
  gitDir,
  signal,
  linksAsFiles = [],
}: BaselineOptions): Promise<Baseline> {
  const ws = resolve(workspace)
  const gd = resolve(gitDir)
  const rel = relative(ws, gd)
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new AppError('internal', 'The git directory must be outside the workspace.', {
      details: { gitDir },
    })
  }
  await mkdir(gd, { recursive: true })
  if ((await readdir(gd)).length > 0) {
    throw new AppError('conflict', 'The git directory for the baseline is not empty.', {
      details: { gitDir },
    })
  }
  const target: StageTarget = { workspace: ws, gitDir: gd, force: true, signal }
  try {
    await runGit(['init', '-q', '--template=', `--initial-branch=${BASELINE_BRANCH}`], {
      cwd: gd,
      gitDir: gd,
      workTree: ws,
      signal,
    })
    const caps = await readFsCaps(gd)
    // Links written as files say this disk cannot hold them, whatever git's probe found.
    if (linksAsFiles.length) caps.symlinks = false
    await writeFile(join(gd, 'config'), localConfig(caps), { flag: 'a' })
    await mkdir(join(gd, 'info'), { recursive: true })
    // Nothing is kept out: the import step decided what the workspace holds.
    await writeFile(join(gd, 'info', 'exclude'), '')
    await writeFile(join(gd, 'info', 'attributes'), NEUTRAL_ATTRIBUTES)

    const { skipped } = await stageAll(target, true)
    if (linksAsFiles.length) await stageAsLinks(target, linksAsFiles)
    const tree = (await runGit(['write-tree'], repoOptions(target))).stdout.trim()
    const commit = (await runGit(['commit-tree', tree, '-m', 'baseline'], repoOptions(target))).stdout.trim()
    await runGit(['update-ref', `refs/heads/${BASELINE_BRANCH}`, commit], repoOptions(target))
    // No index when the workspace is empty: the diff then starts from the baseline tree.
    await copyIndex(join(gd, 'index'), join(gd, DIFF_INDEX_FILE)).catch((e: unknown) => {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e
    })
    return { commit, skipped }
  } catch (err) {
    throw gitFailed(err, 'Could not record the baseline of the workspace')
  }
}

/** Turns the staged entries of `paths` (files holding a link's target) into symlinks: mode 120000. */
async function stageAsLinks(target: StageTarget, paths: readonly string[]): Promise<void> {
  const staged = await runGit(['ls-files', '-s', '-z', '--', ...paths], repoOptions(target))
  const entries = staged.stdout
    .split('\0')
    .map((row) => /^\d+ ([0-9a-f]+) 0\t(.*)$/s.exec(row))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `120000 ${m[1]}\t${m[2]}\0`)
  if (!entries.length) return
  await runGit(['update-index', '-z', '--index-info'], repoOptions(target, { input: entries.join('') }))
}
