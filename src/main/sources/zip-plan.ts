import { AppError } from '../errors'
import type { ZipLimits } from './zip'
import type { RawEntry } from './zip-entries'
import { foldKey, foldName, maybeShortName } from './zip-fold'

export interface PlannedEntry {
  /** Relative, `/`-separated, normalized, top folder stripped. */
  path: string
  entry: RawEntry
  /** 0o644 or 0o755 for files. */
  mode: number
  /** Offset where this entry's local record must end (the next local header or the central directory). */
  limit: number
}

export interface Plan {
  /** Every directory to create (explicit and implied), parents before children. */
  dirs: string[]
  files: PlannedEntry[]
  symlinks: PlannedEntry[]
  /** Declared uncompressed bytes of files and symlinks. */
  declaredBytes: number
  totalEntries: number
}

const S_IFMT = 0o170000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
/** Host systems whose external attributes carry a unix mode: unix, OS X. */
const UNIX_HOSTS = new Set([3, 19])
/** Entries smaller than this are never refused for their ratio alone: they cannot hurt. */
const RATIO_FLOOR = 1 << 20

export function unsafe(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('unsafe_archive', message, {
    hint: 'This archive could write outside its folder or is built to exhaust the disk. Check where it came from; if you trust it, extract it yourself and import the folder.',
    details,
  })
}

function corrupt(message: string): AppError {
  return new AppError('import_failed', message, { hint: 'Re-create the archive or download it again.' })
}

/**
 * An entry name fit for a message: control characters (C0, DEL, C1: terminal escape sequences) and
 * bidirectional overrides (which reorder what a reader sees) replaced with `?`, long names shortened.
 */
export function shown(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?')
  return clean.length > 200 ? `${clean.slice(0, 100)}…${clean.slice(-100)}` : clean
}

/** Names needing the careful path: separators, dot segments, absolute or drive paths, NUL. */
// eslint-disable-next-line no-control-regex
const UNUSUAL = /[\\\u0000]|(^|\/)\.{1,2}(\/|$)|\/\/|^\/|^[a-zA-Z]:/

/** Normalizes an entry name to a relative `/`-joined path ('' for the root), or says why it is unsafe. */
export function normalizeName(name: string): { path: string; isDir: boolean } | { reason: string } {
  const isDir = name.endsWith('/') || name.endsWith('\\')
  if (!UNUSUAL.test(name)) return { path: isDir ? name.slice(0, -1) : name, isDir }
  if (name.includes('\0')) return { reason: 'has a NUL byte in its name' }
  if (/^[a-zA-Z]:/.test(name)) return { reason: 'has a drive-letter path' }
  if (name.startsWith('/') || name.startsWith('\\')) return { reason: 'has an absolute path' }
  const parts: string[] = []
  for (const part of name.split(/[\\/]/)) {
    if (part === '..') return { reason: 'escapes the destination folder (..)' }
    if (part !== '' && part !== '.') parts.push(part)
  }
  return { path: parts.join('/'), isDir }
}

type Kind = 'file' | 'dir' | 'symlink'

function kindOf(e: RawEntry, isDirName: boolean): { kind: Kind; mode: number } {
  const unix = UNIX_HOSTS.has(e.versionMadeBy >>> 8) ? (e.externalAttributes >>> 16) & 0xffff : 0
  const type = unix & S_IFMT
  if (isDirName || type === S_IFDIR) return { kind: 'dir', mode: 0o755 }
  if (type === S_IFLNK) return { kind: 'symlink', mode: 0o777 }
  return { kind: 'file', mode: unix & 0o111 ? 0o755 : 0o644 }
}

function checkEntryData(e: RawEntry, limits: ZipLimits): void {
  const name = shown(e.name)
  if (e.flags & 0x1) {
    throw new AppError('import_failed', `The archive is encrypted ("${name}" needs a password).`, {
      hint: 'Extract it with its password and import the folder, or re-create the ZIP without encryption.',
    })
  }
  if (e.method !== 0 && e.method !== 8) {
    throw new AppError('import_failed', `"${name}" uses an unsupported compression method (${e.method}).`, {
      hint: 'Re-create the archive with standard (deflate) compression.',
    })
  }
  if (e.method === 0 && e.compressedSize !== e.uncompressedSize) {
    throw corrupt(`"${name}" is stored uncompressed but its two sizes differ: the archive is corrupt.`)
  }
  if (e.method === 8 && e.compressedSize === 0 && e.uncompressedSize > 0) {
    throw corrupt(
      `"${name}" has no compressed data but claims ${e.uncompressedSize} bytes: the archive is corrupt.`,
    )
  }
  const ratio = e.uncompressedSize / Math.max(1, e.compressedSize)
  if (e.uncompressedSize > RATIO_FLOOR && ratio > limits.maxRatio) {
    throw unsafe(
      `"${name}" expands ${Math.round(ratio)}× (limit ${limits.maxRatio}×): the archive looks like a ZIP bomb.`,
      { entry: name, ratio: Math.round(ratio) },
    )
  }
}

/**
 * Where each entry's local record must end: the next local header (or the central directory). Refuses
 * entries whose data overlap another's (the "overlapping files" ZIP bomb) or the central directory.
 */
function dataLimits(entries: RawEntry[], cdOffset: number, dirEntries: Set<RawEntry>): Map<RawEntry, number> {
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset)
  const limits = new Map<RawEntry, number>()
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as RawEntry
    const next = i + 1 < sorted.length ? (sorted[i + 1] as RawEntry).localHeaderOffset : cdOffset
    limits.set(e, next)
    if (dirEntries.has(e)) continue
    // 30 bytes of local header at least, then the data.
    if (e.localHeaderOffset + 30 + e.compressedSize > next) {
      throw unsafe(
        `Entry "${shown(e.name)}" overlaps another entry's data: the archive is malformed or a ZIP bomb.`,
        {
          entry: shown(e.name),
        },
      )
    }
  }
  return limits
}

interface Item {
  path: string
  kind: Kind
  mode: number
  entry: RawEntry
}

/** The single folder that holds every entry (GitHub's "Download ZIP"), if there is one. */
function topFolder(items: Item[]): string | undefined {
  const first = items[0]
  if (!first) return undefined
  const slash = first.path.indexOf('/')
  const top = slash < 0 ? first.path : first.path.slice(0, slash)
  const prefix = `${top}/`
  for (const it of items) {
    if (it.path.startsWith(prefix)) continue
    if (it.path !== top || it.kind !== 'dir') return undefined
  }
  return top
}

/** Adds every ancestor directory of `path` to `dirs`. */
function addParents(path: string, dirs: Set<string>): void {
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const dir = path.slice(0, i)
    if (dirs.has(dir)) return
    dirs.add(dir)
  }
}

/**
 * Refuses any path that goes through a symlink of the archive, and any name that is a symlink's own name
 * under another spelling, compared as case-insensitive filesystems compare (see zip-fold.ts). `links` maps
 * each symlink's folded path to its path.
 */
function checkAgainstLinks(paths: Iterable<string>, links: Map<string, string>): void {
  if (links.size === 0) return
  for (const path of paths) {
    const parts = path.split('/')
    const folded = parts.map(foldName)
    let key = folded[0] ?? ''
    for (let i = 1; i < parts.length; key += `/${folded[i]}`, i++) {
      if (links.has(key)) {
        const prefix = parts.slice(0, i).join('/')
        throw unsafe(`Entry "${shown(path)}" goes through the archive's symlink "${shown(prefix)}".`, {
          entry: shown(path),
          symlink: shown(prefix),
        })
      }
    }
    const same = links.get(folded.join('/'))
    if (same !== undefined && same !== path) {
      throw unsafe(
        `Entry "${shown(path)}" and the archive's symlink "${shown(same)}" are the same name on a case-insensitive disk.`,
        { entry: shown(path), symlink: shown(same) },
      )
    }
    const short = parts.find(maybeShortName)
    if (short !== undefined) {
      throw unsafe(
        `Entry "${shown(path)}" has a name like a Windows short name ("${shown(short)}"), which could stand for one of the archive's symlinks.`,
        { entry: shown(path) },
      )
    }
  }
}

/**
 * Checks every entry of the central directory before anything is written, and decides what to create
 * where. Throws `unsafe_archive` for escaping names, symlinks in paths, limits and bombs; `import_failed`
 * for encryption, unsupported methods and contradictions.
 */
export function planExtraction(
  entries: RawEntry[],
  cdOffset: number,
  archiveSize: number,
  limits: ZipLimits,
): Plan {
  if (entries.length > limits.maxEntries) {
    throw unsafe(`The archive has ${entries.length} entries (limit ${limits.maxEntries}).`, {
      entries: entries.length,
    })
  }
  const items: Item[] = []
  const dirEntries = new Set<RawEntry>()
  let declaredBytes = 0
  for (const e of entries) {
    const norm = normalizeName(e.name)
    if ('reason' in norm) throw unsafe(`Entry "${shown(e.name)}" ${norm.reason}.`, { entry: shown(e.name) })
    if (norm.path === '') continue // "./": the root itself
    const { kind, mode } = kindOf(e, norm.isDir)
    if (kind === 'dir') dirEntries.add(e)
    else {
      checkEntryData(e, limits)
      declaredBytes += e.uncompressedSize
    }
    items.push({ path: norm.path, kind, mode, entry: e })
  }
  if (declaredBytes > limits.maxBytes) {
    throw unsafe(`The archive expands to ${declaredBytes} bytes (limit ${limits.maxBytes}).`, {
      bytes: declaredBytes,
    })
  }
  const overall = declaredBytes / Math.max(1, archiveSize)
  if (declaredBytes > RATIO_FLOOR && overall > limits.maxRatio) {
    throw unsafe(
      `The archive expands ${Math.round(overall)}× (limit ${limits.maxRatio}×): it looks like a ZIP bomb.`,
      {
        ratio: Math.round(overall),
      },
    )
  }
  const limitOf = dataLimits(entries, cdOffset, dirEntries)

  const top = topFolder(items)
  const strip = top === undefined ? 0 : top.length + 1
  const kinds = new Map<string, Kind>()
  const links = new Map<string, string>()
  const dirs = new Set<string>()
  const plan: Plan = { dirs: [], files: [], symlinks: [], declaredBytes, totalEntries: entries.length }
  for (const it of items) {
    const path = it.path.slice(strip)
    if (path === '') continue
    const seen = kinds.get(path)
    if (seen !== undefined && !(seen === 'dir' && it.kind === 'dir')) {
      throw unsafe(`The archive holds "${shown(path)}" more than once.`, { entry: shown(path) })
    }
    kinds.set(path, it.kind)
    addParents(path, dirs)
    if (it.kind === 'dir') {
      dirs.add(path)
      continue
    }
    if (it.kind === 'symlink') {
      const other = links.get(foldKey(path))
      if (other !== undefined) {
        throw unsafe(
          `The archive's symlinks "${shown(other)}" and "${shown(path)}" are the same name on a case-insensitive disk.`,
          { entry: shown(path), symlink: shown(other) },
        )
      }
      links.set(foldKey(path), path)
    }
    const planned = { path, entry: it.entry, mode: it.mode, limit: limitOf.get(it.entry) ?? cdOffset }
    ;(it.kind === 'file' ? plan.files : plan.symlinks).push(planned)
  }
  checkAgainstLinks(new Set([...kinds.keys(), ...dirs]), links)
  for (const dir of dirs) {
    const kind = kinds.get(dir)
    if (kind === 'file') throw corrupt(`The archive holds "${shown(dir)}" both as a file and as a folder.`)
    if (kind === 'symlink') {
      throw unsafe(`The archive holds "${shown(dir)}" both as a symlink and as a folder.`, {
        entry: shown(dir),
      })
    }
  }
  plan.dirs = [...dirs].sort()
  plan.files.sort((a, b) => a.entry.localHeaderOffset - b.entry.localHeaderOffset)
  return plan
}

/**
 * Two entries that would be one on a disk that ignores case (`README` and `readme`, or a file `Docs` and
 * a folder `docs/`), in archive order; folders that differ only in case merge there and are no clash.
 */
export function caseCollision(plan: Plan): [string, string] | undefined {
  const dirs = new Map<string, string>()
  for (const dir of plan.dirs) if (!dirs.has(foldKey(dir))) dirs.set(foldKey(dir), dir)
  const named = new Map<string, string>()
  for (const p of [...plan.files, ...plan.symlinks]) {
    const key = foldKey(p.path)
    const other = named.get(key) ?? dirs.get(key)
    if (other !== undefined && other !== p.path) return [other, p.path]
    named.set(key, p.path)
  }
  return undefined
}
