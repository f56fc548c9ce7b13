/**
 * How a case-insensitive or normalizing filesystem may see a path, as a key: two paths with the same key
 * may name the same file on at least one of them. The key is deliberately coarser than any single
 * filesystem (it is the union of their equivalences): a false match only makes the ZIP importer refuse an
 * archive whose symlinks sit beside look-alike names, a missed one lets an entry or a link resolve through a
 * symlink on the user's disk.
 *
 * - APFS (case-insensitive) and HFS+: insensitive to case (full Unicode case folding: `ß` ~ `ss`,
 *   `ς` ~ `σ` ~ `Σ`, `ﬁ` ~ `fi`, the Kelvin sign `K` ~ `k`) and to normalization (NFC ~ NFD); HFS+ also
 *   ignores some code points altogether (U+200C–U+200F, U+202A–U+202E, U+206A–U+206F, U+FEFF: the set
 *   git's `is_hfs_dotgit` skips).
 * - NTFS: its upcase table (simple uppercase: `ı` ~ `i` ~ `I`, `ς` ~ `σ`); Win32 drops trailing dots and
 *   spaces of a name (`link.` ~ `link`) and reads `name:stream` as a stream of `name`.
 *
 * JavaScript has no casefold(): upper-casing then lower-casing, to a fixed point, and normalizing between
 * steps gives full case folding for everything above (`ẞ` → `ß` → `SS` → `ss`; `İ` → `i̇`, as full folding
 * without the Turkic rule does) and also merges what only an uppercase table merges (`ı` → `I` → `i`).
 */

/** Code points HFS+ ignores in names (git: `next_hfs_char`). */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g
/** What Win32 strips from the end of a path component. */
const TRAILING_DOTS_SPACES = /[. ]+$/

/** Printable ASCII but `:`: folding is lower-casing (most names take this path). */
const PLAIN_ASCII = /^[\u0020-\u0039\u003b-\u007e]*$/

/** One path component's key. */
export function foldName(name: string): string {
  if (PLAIN_ASCII.test(name)) return name.toLowerCase().replace(TRAILING_DOTS_SPACES, '')
  let s = name.replace(HFS_IGNORABLE, '')
  const colon = s.indexOf(':')
  if (colon >= 0) s = s.slice(0, colon)
  s = s.replace(TRAILING_DOTS_SPACES, '').normalize('NFD')
  // Each round can only expand or lower; a few rounds reach the fixed point (ẞ needs two).
  for (let round = 0; round < 4; round++) {
    const next = s.toUpperCase().toLowerCase().normalize('NFD')
    if (next === s) break
    s = next
  }
  return s
}

/** A relative `/`-separated path's key: each component folded (see the module comment). */
export function foldKey(path: string): string {
  return path.split('/').map(foldName).join('/')
}

/**
 * True for a component that may be a Windows 8.3 short name (`LONGNA~1`, `GIT~1`, `DOCUME~2.TXT`): NTFS
 * resolves it to whichever long name it was generated for, so it can alias a symlink of the archive under
 * a name no fold predicts.
 */
export function maybeShortName(name: string): boolean {
  return /~[0-9]/.test(name)
}
