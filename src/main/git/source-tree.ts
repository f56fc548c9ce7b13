import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { AppError } from '../errors'
import { toChanges } from './apply-folder'
import { baseEntries, changedOnBase, treeWithChanges } from './carry'
import { gitFailed, type GitOptions } from './git'
import { isObjectId, treeChanges } from './tree-entries'

/**
 * The tree a pushed branch gets: the tree of the commit the task started from with only the accepted
 * changes (baseline to result tree) applied (see carry.ts), never the workspace's whole tree. The
 * workspace is a checkout on the task's disk, which may not hold what the commit has: on FAT, NTFS or a
 * default macOS disk, executable bits, symbolic links and names differing only in case are lost in the
 * checkout, and so in the baseline. Carried onto the source commit, those entries stay as the repository
 * has them; only what the agent changed (a mode too, where its disk holds modes) differs.
 *
 * A changed file whose version in the source commit is not the one the agent saw (one of two names that
 * collide on this disk, a checkout that converted its line endings) is refused: publishing the agent's
 * version would also change what the agent never saw.
 */
export interface SourceTreeOptions {
  /** The clone's git directory (it holds the source commit). */
  upstreamDir: string
  /** The task's private git directory (the baseline, the result tree and their blobs). */
  gitDir: string
  baseline: string
  /** The result tree (buildResultTree) in `gitDir`. */
  tree: string
  /** Its changed paths (buildResultTree's `files`). */
  files: string[]
  /** The commit the task started from. */
  source: string
}

export async function treeOnSource(opts: SourceTreeOptions): Promise<string> {
  for (const id of [opts.baseline, opts.tree, opts.source]) {
    if (!isObjectId(id))
      throw new AppError('invalid_input', 'The commits or the tree to publish are not valid.')
  }
  const upstream: GitOptions = { gitDir: resolve(opts.upstreamDir) }
  const scratch = await mkdtemp(join(tmpdir(), 'codex-source-tree-'))
  try {
    await borrowObjects(resolve(opts.upstreamDir), resolve(opts.gitDir))
    const raw = await treeChanges(opts.baseline, opts.tree, { gitDir: resolve(opts.gitDir) })
    const changes = toChanges(raw, opts.files)
    const entries = await baseEntries(
      upstream,
      opts.source,
      changes.map((c) => c.path),
    )
    const conflicts = changedOnBase(changes, entries)
    if (conflicts.length > 0) {
      const shown = conflicts.slice(0, 20).join(', ')
      const more = conflicts.length > 20 ? ` and ${conflicts.length - 20} more` : ''
      throw new AppError(
        'conflict',
        `The agent changed files that the task's disk did not hold as the repository has them: ${shown}${more}.`,
        {
          hint: 'Leave these files out in the review and publish again, or run the task with its data directory on a case-sensitive disk.',
          details: { paths: conflicts },
        },
      )
    }
    return await treeWithChanges(upstream, opts.source, changes, entries, { scratchDir: scratch })
  } catch (err) {
    throw gitFailed(err, 'Could not build the tree to publish')
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** The task's objects (the trees and their blobs) become readable from the clone's git directory. */
export async function borrowObjects(upstreamDir: string, gitDir: string): Promise<void> {
  const file = join(upstreamDir, 'objects', 'info', 'alternates')
  const wanted = join(gitDir, 'objects')
  const current = await readFile(file, 'utf8').catch((e: unknown) => {
    if ((e as { code?: unknown }).code === 'ENOENT') return ''
    throw e
  })
  if (current.split('\n').includes(wanted)) return
  await appendFile(file, `${current && !current.endsWith('\n') ? '\n' : ''}${wanted}\n`)
}
