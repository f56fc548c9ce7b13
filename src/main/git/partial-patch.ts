import type { HunkExclusion } from '../../shared/review'
import type { GitOptions } from './git'

/** Per hunk key: the indices of its changes left out, or 'all' for the whole hunk. */
export type HunkSelection = ReadonlyMap<string, ReadonlySet<number> | 'all'>

/** The saved exclusions grouped per file (path → selection). */
export function exclusionsByFile(list: readonly HunkExclusion[]): Map<string, HunkSelection> {
  void list
  throw new Error('exclusionsByFile: not built yet')
}

/**
 * The file's content with only the included changes of `section` (the patch of `oldContent` → the new
 * content): an excluded deletion stays, an excluded addition is dropped. Byte-exact (CRLF, no newline at
 * the end). Null when the section does not apply to `oldContent`.
 */
export function selectedContent(oldContent: Buffer, section: Buffer, excluded: HunkSelection): Buffer | null {
  void oldContent
  void section
  void excluded
  throw new Error('selectedContent: not built yet')
}

/**
 * `section` with the excluded changes left out — an excluded deletion becomes context, an excluded
 * addition is dropped, hunk headers recounted, hunks with no change left dropped: it applies with
 * `git apply` to the old content and gives `selectedContent`. Empty when nothing is left.
 */
export function partialPatch(section: Buffer, excluded: HunkSelection): Buffer {
  void section
  void excluded
  throw new Error('partialPatch: not built yet')
}

/** The selection that leaves out everything but hunk `key` (or only its `lines`): for "only this hunk". */
export function onlySelection(section: Buffer, key: string, lines?: readonly number[]): HunkSelection {
  void section
  void key
  void lines
  throw new Error('onlySelection: not built yet')
}

/**
 * One file's patch section between `baseline` and the index `git` points at (GIT_INDEX_FILE in its env),
 * formatted as every diff of ours is (PATCH_FORMAT_ARGS); null when the file has no change.
 */
export async function fileSection(git: GitOptions, baseline: string, path: string): Promise<Buffer | null> {
  void git
  void baseline
  void path
  throw new Error('fileSection: not built yet')
}
