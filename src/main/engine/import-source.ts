import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { ProgressPhase } from '../../shared/events'
import type { Settings } from '../../shared/settings'
import type { TaskSource } from '../../shared/task'
import { importFolder } from '../sources/folder'
import { importGitUrl } from '../sources/git-url'
import { importZip } from '../sources/zip'
import { gitTokenFor } from './git-token'
import { renameWithRetry } from '../util/fs'
import { assertFreeSpace, diskFullError, isDiskFull } from '../util/disk-full'
import { measureFolder } from '../sources/folder-size'

export interface ImportProgressReport {
  phase: ProgressPhase
  message: string
  ratio?: number
}

export interface ImportedSource {
  sourceBranch?: string
  sourceCommit?: string
  /**
   * Symlinks the workspace holds as files containing their target, because its disk cannot hold symlinks:
   * the baseline must record them as symlinks (mode 120000), not as files.
   */
  linksAsFiles: string[]
  /** What the user should know about the import; each was also reported through `onProgress`. */
  warnings: string[]
}

/** Room an import leaves on the disk beyond its own size: the baseline, logs, the task's HOME. */
export const IMPORT_MARGIN_BYTES = 16 * 1024 * 1024
const IMPORT_MARGIN_RATIO = 0.1

type ImportOptions = Parameters<typeof importSource>[0]

/**
 * Brings a task's code into its workspace, whatever the source; the original is never modified. It
 * refuses to start when the disk holding the workspace has less free than the source's size plus a
 * margin, and a disk that fills up meanwhile fails it with the one disk-full error.
 */
export async function importSource(opts: {
  source: TaskSource
  dest: string
  /** Where a git source's own clone (its .git) is kept, outside the workspace. */
  upstreamDir: string
  settings: Settings
  githubToken?: string
  signal: AbortSignal
  onProgress: (p: ImportProgressReport) => void
}): Promise<ImportedSource> {
  try {
    await assertRoomFor(opts.source, opts.dest)
    return await copySource(opts)
  } catch (err) {
    throw isDiskFull(err) ? diskFullError(opts.dest, err) : err
  }
}

/** What the source will take on the disk, as far as it is known cheaply (a Git URL's size is not). */
async function assertRoomFor(source: TaskSource, dest: string): Promise<void> {
  let bytes = 0
  if (source.kind === 'folder') bytes = (await measureFolder(source.path).catch(() => ({ bytes: 0 }))).bytes
  if (source.kind === 'zip') bytes = (await stat(source.path).catch(() => ({ size: 0 }))).size
  assertFreeSpace(dirname(dest), bytes, IMPORT_MARGIN_BYTES + bytes * IMPORT_MARGIN_RATIO)
}

async function copySource(opts: ImportOptions): Promise<ImportedSource> {
  const { source, dest, signal, onProgress } = opts
  switch (source.kind) {
    case 'folder': {
      const result = await importFolder({
        source: source.path,
        dest,
        maxBytes: opts.settings.sandbox.maxWorkspaceGb * 1024 ** 3,
        signal,
        onProgress: (p) => onProgress({ phase: 'import', message: `Copied ${p.files} files` }),
      })
      onProgress({
        phase: 'import',
        message: `Copied ${result.files} files (${result.skipped} skipped)`,
        ratio: 1,
      })
      return { linksAsFiles: result.linksAsFiles, warnings: result.warnings }
    }
    case 'zip': {
      const result = await importZip({
        file: source.path,
        dest,
        limits: opts.settings.zip,
        signal,
        onProgress: (p) =>
          onProgress({
            phase: 'import',
            message: `Extracted ${p.entries} of ${p.totalEntries} entries`,
            ratio: p.totalEntries ? p.entries / p.totalEntries : undefined,
          }),
      })
      onProgress({ phase: 'import', message: `Extracted ${result.files} files`, ratio: 1 })
      return { linksAsFiles: result.linksAsFiles, warnings: result.warnings }
    }
    case 'git': {
      const result = await importGitUrl({
        url: source.url,
        branch: source.branch,
        token: gitTokenFor(source.url, opts.settings, opts.githubToken),
        dest,
        keepGitDir: true,
        allowLocalHttp: opts.settings.allowLocalHttpGit,
        signal,
        onProgress: (p) => onProgress({ phase: 'clone', message: p.stage, ratio: p.progress / 100 }),
      })
      // The clone's history leaves the workspace (the container must not see or change it); publishing
      // builds the branch on top of it.
      await renameWithRetry(join(dest, '.git'), opts.upstreamDir)
      onProgress({
        phase: 'clone',
        message: `Cloned ${result.branch} at ${result.commit.slice(0, 12)}`,
        ratio: 1,
      })
      return {
        sourceBranch: result.branch,
        sourceCommit: result.commit,
        linksAsFiles: result.linksAsFiles,
        warnings: result.warnings,
      }
    }
  }
}
