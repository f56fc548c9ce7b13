import type { DiffHunk } from '../../shared/review'

/**
 * The hunks of one file's patch section (git's `diff --git` section), each with its changed lines and
 * a key that survives the hunk moving in the file (see DiffHunk.key); null when the section is not a
 * text patch (binary) or cannot be parsed.
 */
export function parseFileHunks(section: Buffer): DiffHunk[] | null {
  void section
  throw new Error('parseFileHunks: not built yet')
}
