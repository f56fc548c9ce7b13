/**
 * Parsing of `git diff -z --raw --patch` output: the raw records (modes, blob ids, status, paths)
 * come first, NUL-separated, then one NUL, then the patch. Line counts and binary detection are
 * taken from the patch itself, so git runs its diff machinery once.
 */
export const NULL_SHA = '0000000000000000000000000000000000000000'
export const GITLINK_MODE = '160000'

export interface RawEntry {
  /** First letter of git's status: A, D, M, R, C, T, U, X. */
  status: string
  oldMode: string
  newMode: string
  oldSha: string
  newSha: string
  oldPath: string
  newPath: string
}

export interface PatchStats {
  additions: number
  deletions: number
  binary: boolean
}

export interface ParsedDiff {
  entries: RawEntry[]
  patch: Buffer
}

const NUL = 0

function readField(buf: Buffer, pos: number): [string, number] {
  const end = buf.indexOf(NUL, pos)
  if (end < 0) throw new Error('Malformed git diff output: unterminated field')
  return [buf.toString('utf8', pos, end), end + 1]
}

export function parseDiffOutput(buf: Buffer): ParsedDiff {
  const entries: RawEntry[] = []
  let pos = 0
  while (pos < buf.length && buf[pos] === 0x3a /* ':' */) {
    let header: string
    ;[header, pos] = readField(buf, pos + 1)
    const [oldMode = '', newMode = '', oldSha = '', newSha = '', statusField = ''] = header.split(' ')
    const status = statusField.charAt(0)
    let oldPath: string
    ;[oldPath, pos] = readField(buf, pos)
    let newPath = oldPath
    if (status === 'R' || status === 'C') [newPath, pos] = readField(buf, pos)
    entries.push({ status, oldMode, newMode, oldSha, newSha, oldPath, newPath })
  }
  if (pos < buf.length && buf[pos] === NUL) pos++
  return { entries, patch: buf.subarray(pos) }
}

const SECTION_START = Buffer.from('diff --git ')
const NL_SECTION_START = Buffer.from('\ndiff --git ')
const HUNK_START = Buffer.from('\n@@')
const BINARY_MARKERS = [Buffer.from('\nGIT binary patch\n'), Buffer.from('\nBinary files ')]

/** Splits a patch into its `diff --git` sections (a type change has two). */
export function splitPatch(patch: Buffer): Buffer[] {
  const sections: Buffer[] = []
  if (patch.length === 0) return sections
  let start = 0
  if (!patch.subarray(0, SECTION_START.length).equals(SECTION_START)) {
    const first = patch.indexOf(NL_SECTION_START)
    if (first < 0) return sections
    start = first + 1
  }
  for (;;) {
    const next = patch.indexOf(NL_SECTION_START, start)
    if (next < 0) {
      sections.push(patch.subarray(start))
      return sections
    }
    sections.push(patch.subarray(start, next + 1))
    start = next + 1
  }
}

/** Added/deleted line counts of one section; binary when git printed a binary patch or notice. */
export function sectionStats(section: Buffer): PatchStats {
  const hunk = section.indexOf(HUNK_START)
  const header = hunk < 0 ? section : section.subarray(0, hunk + 1)
  if (BINARY_MARKERS.some((m) => header.indexOf(m) >= 0)) return { additions: 0, deletions: 0, binary: true }
  let additions = 0
  let deletions = 0
  if (hunk < 0) return { additions, deletions, binary: false }
  let pos = hunk + 1
  while (pos < section.length) {
    const c = section[pos]
    if (c === 0x2b /* + */) additions++
    else if (c === 0x2d /* - */) deletions++
    const nl = section.indexOf(0x0a, pos)
    if (nl < 0) break
    pos = nl + 1
  }
  return { additions, deletions, binary: false }
}

/** The patch sections of each raw entry, in order: a type change has two (deletion + creation). */
export function sectionsPerEntry(entries: RawEntry[], patch: Buffer): Buffer[][] {
  const sections = splitPatch(patch)
  let i = 0
  return entries.map((entry) => {
    const count = entry.status === 'T' ? 2 : 1
    const mine = sections.slice(i, i + count)
    i += count
    return mine
  })
}

/** Combined stats of an entry's sections. */
export function entryStats(sections: Buffer[]): PatchStats {
  const parts = sections.map(sectionStats)
  return {
    additions: parts.reduce((n, p) => n + p.additions, 0),
    deletions: parts.reduce((n, p) => n + p.deletions, 0),
    binary: parts.some((p) => p.binary),
  }
}

/** Stats per raw entry, in order. */
export function statsPerEntry(entries: RawEntry[], patch: Buffer): PatchStats[] {
  return sectionsPerEntry(entries, patch).map(entryStats)
}

/**
 * How every patch we produce is formatted (diffs and exports alike): binary-safe, full blob ids, renames,
 * `a/`/`b/` prefixes, and nothing from the repository's config or attributes (no external diff, textconv,
 * colour or relative paths).
 */
export const PATCH_FORMAT_ARGS: readonly string[] = [
  '--binary',
  '--full-index',
  '-M',
  '--no-ext-diff',
  '--no-textconv',
  '--no-color',
  '--no-relative',
  '--src-prefix=a/',
  '--dst-prefix=b/',
]
