/**
 * Which paths may be written into a user's folder, a ZIP or a patch, and which paths git itself refuses
 * to store. Both are decided per path component, from rules, on any OS (the checks do not depend on the
 * machine they run on: a ZIP made on Linux is unpacked on Windows).
 *
 * `gitRefusal` follows git's own `verify_path` with `core.protectNTFS` and `core.protectHFS` on (as every
 * git we run has them): `.git` in any case, its NTFS aliases (`is_ntfs_dotgit`: `.git` or `git~1`
 * followed only by dots and spaces, or by a `:` stream such as `::$INDEX_ALLOCATION`, also after a
 * backslash), its HFS+ aliases (`is_hfs_dotgit`: `.git` in any ASCII case with the code points HFS+
 * ignores anywhere), `.`, `..` and empty segments, and a symbolic link named `.gitmodules` or any of its
 * aliases. Staging uses it to say why git left an entry out.
 *
 * `unsafePathProblem` is stricter and is what apply, saved edits and exports use. On top of git's rules:
 * `git~N` for every N (git checks only `~1`, because a clone makes `.git` first; a folder where
 * `git init` ran later can give `.git` another short name), `.git` after Unicode compatibility folding and
 * full case folding, and the names Windows cannot hold or maps elsewhere: reserved device names as any
 * component, with or without an extension, trailing spaces or a stream (`CON`, `PRN`, `AUX`, `NUL`,
 * `COM0`–`COM9`, `LPT0`–`LPT9`, the superscript `COM¹²³`/`LPT¹²³`, `CONIN$`, `CONOUT$`), a `:` anywhere
 * (alternate data streams, drive-relative paths), `<>"|?*`, control characters, a component ending in a
 * dot or a space (Windows drops them), a backslash, an absolute path.
 *
 * `existing: true` is for a path already present in the user's code (the baseline): its name came with
 * the user's own files and the folder already holds it, so only the rules that protect a repository
 * (.git aliases, .gitmodules links, `.`/`..`/empty, absolute) apply, not the Windows portability ones;
 * otherwise changing a Linux repository's `aux.c` could never be applied.
 */
import { visibleName } from '../../shared/visible-name'
export interface PathProblem {
  path: string
  reason: string
  /** git itself refuses this path (so it cannot be in an index this app stages). */
  gitRefuses?: true
}

export interface PathCheckOptions {
  /** The entry is a symbolic link (git refuses a link named like `.gitmodules`). */
  symlink?: boolean
  /** The path exists in the user's code already (see above). */
  existing?: boolean
}

/** Code points HFS+ ignores when comparing names (git's `next_hfs_char`). */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/gu
const isHfsIgnorable = (cp: number): boolean =>
  (cp >= 0x200c && cp <= 0x200f) ||
  (cp >= 0x202a && cp <= 0x202e) ||
  (cp >= 0x206a && cp <= 0x206f) ||
  cp === 0xfeff

const DOTGIT = 'another name for .git on Windows or macOS'
const DOTGITMODULES_LINK = 'a symbolic link named like .gitmodules'

// ---------------------------------------------------------------------------------------------------
// git's rules (verify_path with protectNTFS and protectHFS), reimplemented from their description.

const lower = (code: number): number => (code >= 0x41 && code <= 0x5a ? code + 32 : code)

/** True when `s` from `i` holds only spaces and dots up to its end or a `:` (NTFS trims them). */
function onlySpacesAndDotsFrom(s: string, i: number, stopAtSeparators: boolean): boolean {
  for (let j = i; j < s.length; j++) {
    const c = s[j]
    if (c === ':') return true
    if (stopAtSeparators && (c === '/' || c === '\\')) return true
    if (c !== ' ' && c !== '.') return false
  }
  return true
}

/** Case-insensitive ASCII match of `word` at `s[i]`. */
function matchesAt(s: string, i: number, word: string): boolean {
  if (s.length - i < word.length) return false
  for (let k = 0; k < word.length; k++) if (lower(s.charCodeAt(i + k)) !== word.charCodeAt(k)) return false
  return true
}

/** git's `is_ntfs_dotgit` on the rest of a path from `i`: `.git` or `git~1`, then dots/spaces only. */
function isNtfsDotGitAt(s: string, i: number): boolean {
  if (matchesAt(s, i, '.git')) return onlySpacesAndDotsFrom(s, i + 4, true)
  if (matchesAt(s, i, 'git~1')) return onlySpacesAndDotsFrom(s, i + 5, true)
  return false
}

/**
 * git's `is_ntfs_dot_generic` for `.gitmodules` on the rest of a path from `i`: the long name, the
 * short names `gitmod~1`…`~4`, or the fall-back short name `gi7eba~N`, each followed by dots/spaces only.
 */
function isNtfsDotGitmodulesAt(s: string, i: number): boolean {
  if (s[i] === '.' && matchesAt(s, i + 1, 'gitmodules')) return onlySpacesAndDotsFrom(s, i + 11, false)
  if (matchesAt(s, i, 'gitmod~')) {
    const n = s.charCodeAt(i + 7)
    if (n >= 0x31 && n <= 0x34) return onlySpacesAndDotsFrom(s, i + 8, false)
  }
  const prefix = 'gi7eba'
  let sawTilde = false
  let k = 0
  for (; k < 8; k++) {
    const c = s.charCodeAt(i + k)
    if (Number.isNaN(c)) return false
    if (sawTilde) {
      if (c < 0x30 || c > 0x39) return false
    } else if (c === 0x7e /* ~ */) {
      k++
      const d = s.charCodeAt(i + k)
      if (!(d >= 0x31 && d <= 0x39)) return false
      sawTilde = true
    } else if (k >= 6 || c > 0x7f || lower(c) !== prefix.charCodeAt(k)) {
      return false
    }
  }
  return onlySpacesAndDotsFrom(s, i + k, false)
}

/** git's `is_hfs_dot_generic`: `.` + `needle` (ASCII, any case), HFS-ignorable code points skipped. */
function isHfsDotAt(s: string, i: number, needle: string): boolean {
  const chars: number[] = []
  for (const ch of s.slice(i)) {
    const cp = ch.codePointAt(0) ?? 0
    if (isHfsIgnorable(cp)) continue
    if (cp === 0x2f /* / */) break
    chars.push(cp)
    if (chars.length > needle.length + 1) return false
  }
  if (chars.length !== needle.length + 1 || chars[0] !== 0x2e) return false
  for (let k = 0; k < needle.length; k++) {
    const cp = chars[k + 1] ?? 0
    if (cp > 0x7f || lower(cp) !== needle.charCodeAt(k)) return false
  }
  return true
}

/** Why git (protectNTFS + protectHFS) refuses to store `path`; undefined when it accepts it. */
export function gitRefusal(path: string, opts: PathCheckOptions = {}): string | undefined {
  const structural = structuralProblem(path)
  if (structural) return structural
  let start = 0
  for (const part of path.split('/')) {
    if (isGitComponent(path, start, part)) return `has "${visibleName(part)}", ${DOTGIT}`
    if (opts.symlink && gitmodulesLinkAt(path, start, part)) return `is ${DOTGITMODULES_LINK}`
    start += part.length + 1
  }
  return undefined
}

/** `.git` (exactly, any case) or an NTFS/HFS alias of it, at a component starting at `path[start]`. */
function isGitComponent(path: string, start: number, part: string): boolean {
  if (part.toLowerCase() === '.git') return true
  if (isHfsDotAt(path, start, 'git')) return true
  if (isNtfsDotGitAt(path, start)) return true
  // git also checks what follows every backslash (a separator on Windows).
  for (let j = part.indexOf('\\'); j >= 0; j = part.indexOf('\\', j + 1)) {
    if (isNtfsDotGitAt(path, start + j + 1)) return true
  }
  return false
}

function gitmodulesLinkAt(path: string, start: number, part: string): boolean {
  if (part.toLowerCase() === '.gitmodules') return true
  if (isHfsDotAt(path, start, 'gitmodules')) return true
  if (isNtfsDotGitmodulesAt(path, start)) return true
  for (let j = part.indexOf('\\'); j >= 0; j = part.indexOf('\\', j + 1)) {
    if (isNtfsDotGitmodulesAt(path, start + j + 1)) return true
  }
  return false
}

function structuralProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty'
  if (path.includes('\0')) return 'has a NUL byte'
  if (path.startsWith('/')) return 'is absolute'
  for (const part of path.split('/')) {
    if (part === '') return 'has an empty segment'
    if (part === '.' || part === '..') return `has a "${part}" segment`
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------
// Writing: git's rules, stricter .git aliases, and what Windows cannot hold.

const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/u
const WINDOWS_INVALID = new Set(['<', '>', '"', '|', '?', '*'])
const hasWindowsInvalid = (part: string): boolean =>
  [...part].some((c) => WINDOWS_INVALID.has(c) || c.charCodeAt(0) < 0x20)

/** The name after what NTFS and HFS+ drop or fold: ignorable code points, streams, trailing dots/spaces. */
function folded(part: string): string {
  let s = part.normalize('NFKC').replace(HFS_IGNORABLE, '')
  const colon = s.indexOf(':')
  if (colon >= 0) s = s.slice(0, colon)
  s = s.replace(/[. ]+$/u, '')
  return s.toUpperCase().toLowerCase()
}

/** Any NTFS or HFS+ spelling of `.git`, including every short name `git~N`. */
function isDotGitAlias(part: string): boolean {
  for (const piece of part.split('\\')) {
    const s = folded(piece)
    if (s === '.git' || /^git~[0-9]+$/u.test(s)) return true
  }
  return false
}

/** A Windows device name: `CON`, `nul.tar.gz`, `COM1 .txt`, `AUX:stream`… (case-insensitive). */
export function isReservedDeviceName(part: string): boolean {
  const base = part.split(/[.:]/u)[0]?.replace(/ +$/u, '') ?? ''
  return RESERVED_DEVICE.test(base.toLowerCase())
}

/** Why writing `path` could escape its folder, reach a repository's .git, or break on Windows/macOS. */
export function unsafePathProblem(path: string, opts: PathCheckOptions = {}): string | undefined {
  const git = gitRefusal(path, opts)
  if (git) return git
  const parts = path.split('/')
  for (const part of parts) {
    if (isDotGitAlias(part)) return `has "${visibleName(part)}", ${DOTGIT}`
  }
  if (opts.symlink && /^\.gitmodules$/u.test(folded(parts.at(-1) ?? ''))) return `is ${DOTGITMODULES_LINK}`
  if (opts.existing) return undefined
  for (const part of parts) {
    const problem = windowsProblem(part)
    if (problem) return problem
  }
  return undefined
}

function windowsProblem(part: string): string | undefined {
  if (part.includes('\\')) return `has a backslash in "${visibleName(part)}"`
  if (part.includes(':')) return `has a ":" in "${visibleName(part)}" (a drive or an NTFS stream on Windows)`
  if (hasWindowsInvalid(part)) return `has a character Windows does not allow in "${visibleName(part)}"`
  if (isReservedDeviceName(part)) return `has "${visibleName(part)}", a reserved device name on Windows`
  if (/[. ]$/u.test(part))
    return `has "${visibleName(part)}", which ends in a dot or a space (Windows drops them)`
  return undefined
}

/** Every path of `entries` that is not safe to write (see `unsafePathProblem`), in the given order. */
export function unsafePaths(entries: Array<{ path: string } & PathCheckOptions>): PathProblem[] {
  const out: PathProblem[] = []
  for (const e of entries) {
    const reason = unsafePathProblem(e.path, e)
    if (!reason) continue
    out.push(gitRefusal(e.path, e) ? { path: e.path, reason, gitRefuses: true } : { path: e.path, reason })
  }
  return out
}

/** One sentence listing problems (at most `limit`), e.g. for an error message. */
export function describeProblems(problems: PathProblem[], limit = 10): string {
  const shown = problems.slice(0, limit).map((p) => `"${visibleName(p.path)}" ${p.reason}`)
  const more = problems.length > limit ? `; and ${problems.length - limit} more` : ''
  return shown.join('; ') + more
}
