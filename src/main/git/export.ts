import { randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { AppError } from '../errors'
import { gitFailed, runGit } from './git'
import { isRevision } from './tree-entries'

/**
 * Exports of the accepted change: a patch in git's format (binary-safe, renames, modes; applies with
 * `git apply` onto the original files) and a ZIP of the resulting tree.
 */
export interface ExportPatchOptions {
  gitDir: string
  baseline: string
  tree: string
  signal?: AbortSignal
}

export async function exportPatch(opts: ExportPatchOptions): Promise<Buffer> {
  assertRevisions(opts.baseline, opts.tree)
  const args = [
    'diff',
    '--binary',
    '--full-index',
    '-M',
    '--no-ext-diff',
    '--no-textconv',
    '--no-color',
    '--no-relative',
    '--src-prefix=a/',
    '--dst-prefix=b/',
    opts.baseline,
    opts.tree,
    '--',
  ]
  try {
    const res = await runGit(args, { gitDir: resolve(opts.gitDir), signal: opts.signal })
    return res.stdoutBuffer ?? Buffer.alloc(0)
  } catch (err) {
    throw gitFailed(err, 'Could not export the patch')
  }
}

export interface ExportZipOptions {
  gitDir: string
  tree: string
  /** Where the ZIP goes; written to a temporary name next to it first, then renamed. */
  dest: string
  signal?: AbortSignal
}

/** `git archive --format=zip` of `tree`; returns the size of the ZIP in bytes. */
export async function exportZip(opts: ExportZipOptions): Promise<number> {
  assertRevisions(opts.tree)
  const dest = resolve(opts.dest)
  const partial = join(dirname(dest), `.${randomUUID()}.zip.partial`)
  // Attributes come from an empty work tree and index, not from the archived tree: a .gitattributes
  // in the user's code must not drop files (export-ignore) or rewrite them (export-subst).
  const noAttributes = await mkdtemp(join(tmpdir(), 'codex-archive-'))
  try {
    await mkdir(dirname(dest), { recursive: true })
    await runGit(['archive', '--format=zip', '--worktree-attributes', `--output=${partial}`, opts.tree], {
      gitDir: resolve(opts.gitDir),
      workTree: noAttributes,
      cwd: noAttributes,
      env: { GIT_INDEX_FILE: join(noAttributes, 'index') },
      signal: opts.signal,
    })
    await rename(partial, dest)
    return (await stat(dest)).size
  } catch (err) {
    await rm(partial, { force: true })
    throw gitFailed(err, 'Could not export the ZIP')
  } finally {
    await rm(noAttributes, { recursive: true, force: true })
  }
}

function assertRevisions(...revs: string[]): void {
  if (revs.some((r) => !isRevision(r))) {
    throw new AppError('invalid_input', 'The commit or tree to export is not valid.')
  }
}
