import { join } from 'node:path'
import type { ProgressPhase } from '../../shared/events'
import type { Settings } from '../../shared/settings'
import type { TaskSource } from '../../shared/task'
import { importFolder } from '../sources/folder'
import { importGitUrl } from '../sources/git-url'
import { importZip } from '../sources/zip'
import { gitTokenFor } from './git-token'
import { renameWithRetry } from '../util/fs'

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

/** Brings a task's code into its workspace, whatever the source; the original is never modified. */
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
