import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from '../errors'
import { unsafePathProblem } from '../git/path-names'
import { ByteSource, readTar, type TarEntry, type TarLimits } from '../util/tar-reader'
import { sha256, type ManifestEntry, type SkippedEntry } from './workspace-manifest'

/**
 * The first half of applying what a sandbox sends back (SHIP_BACK_SCRIPT's output, or whatever a hostile
 * sandbox writes instead): read the header and the whole tar, refuse every entry that is not safe to
 * write, and stage the content of the rest in files of a staging directory — before anything in the
 * workspace changes. An entry is refused (and said in `refused`) when its name is not UTF-8, has a
 * control character (newline, NUL…), is absolute, has `..`, `.` or empty segments, is longer than
 * 4096 bytes, is `.git` or another name for it; when it is a hard link, a device, a FIFO or an unknown
 * type; when it is a link with an empty or overlong target; when its path appears twice, or goes through
 * a path that this same change makes a file or a link. Setuid, setgid and sticky bits are dropped.
 * Limits passed (entries, bytes, header size) end it with an `unsafe_archive` error.
 */
export interface StagedChange extends ManifestEntry {
  /** The staged content of a file. */
  temp?: string
  linkTarget?: string
}

export interface Received {
  staged: StagedChange[]
  deleted: string[]
  refused: SkippedEntry[]
  /** What the helper said it left out (FIFOs, unreadable files). */
  skipped: SkippedEntry[]
  /** The helper's stamp of each settled file (see SHIP_BACK_SCRIPT). */
  stamps: Map<string, string>
}

export interface ReceiveLimits extends TarLimits {
  /** The JSON header before the tar (the deleted paths). */
  maxListBytes: number
}

const MAX_PATH_BYTES = 4096
const CONTROL = /[\x00-\x1f\x7f]/u // eslint-disable-line no-control-regex
/** With the u flag, only a surrogate that is not half of a pair matches: a name that was not UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u
const wellFormed = (text: string): boolean => !LONE_SURROGATE.test(text)

const TYPE_REFUSALS: Readonly<Record<string, string>> = {
  hardlink: 'is a hard link (it could tie a workspace file to another one)',
  char: 'is a device',
  block: 'is a device',
  fifo: 'is a FIFO',
}

/** Why `path` may not be written into the workspace, or undefined when it may. */
export function changePathProblem(path: string | undefined, kind: TarEntry['type']): string | undefined {
  if (path === undefined) return 'has a name that is not UTF-8'
  if (!wellFormed(path)) return 'has a name that is not UTF-8'
  if (CONTROL.test(path)) return 'has a control character (a newline, a NUL…) in its name'
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`
  return unsafePathProblem(path, { existing: true, symlink: kind === 'symlink' })
}

function entryProblem(entry: TarEntry, path: string | undefined): string | undefined {
  const byType = TYPE_REFUSALS[entry.type]
  if (byType) return byType
  if (entry.type === 'other') return `has an entry type this does not write ("${entry.typeflag}")`
  const pathProblem = changePathProblem(path, entry.type)
  if (pathProblem) return pathProblem
  if (entry.type !== 'symlink') return undefined
  const target = entry.linkTarget
  if (target === undefined || !wellFormed(target)) return 'is a link whose target is not UTF-8'
  if (target === '' || target.includes('\0')) return 'is a link with an empty target'
  if (Buffer.byteLength(target) > MAX_PATH_BYTES)
    return `is a link whose target is longer than ${MAX_PATH_BYTES} bytes`
  return undefined
}

const listRefusal = (why: string): AppError =>
  new AppError('unsafe_archive', `The changes sent back from the sandbox were refused: ${why}.`, {
    hint: 'Nothing of this turn was applied to the workspace. Run the turn again.',
  })

const isPathList = (v: unknown): v is string[] => Array.isArray(v) && v.every((p) => typeof p === 'string')
const isSkipList = (v: unknown): v is Array<[string, string]> =>
  Array.isArray(v) &&
  v.every((s) => Array.isArray(s) && s.length === 2 && s.every((x) => typeof x === 'string'))

async function readList(
  src: ByteSource,
  limits: ReceiveLimits,
): Promise<Pick<Received, 'deleted' | 'skipped' | 'stamps'>> {
  const line = await src.line(20, 'the list of deleted files')
  const length = /^[0-9]+$/u.test(line) ? Number(line) : NaN
  if (!Number.isSafeInteger(length)) throw listRefusal('the list of deleted files has no length')
  if (length > limits.maxListBytes) {
    throw listRefusal(`the list of deleted files is larger than ${limits.maxListBytes} bytes`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse((await src.exactly(length, 'the list of deleted files')).toString('utf8'))
  } catch (err) {
    if (err instanceof AppError) throw err
    throw listRefusal('the list of deleted files is not JSON')
  }
  const { deleted, skipped, stamps = [] } = (parsed ?? {}) as Record<string, unknown>
  if (!isPathList(deleted) || !isSkipList(skipped) || !isSkipList(stamps))
    throw listRefusal('the list of deleted files is malformed')
  if (deleted.length > limits.maxEntries) throw listRefusal(`it deletes more than ${limits.maxEntries} paths`)
  if (stamps.length > limits.maxEntries) throw listRefusal(`it stamps more than ${limits.maxEntries} files`)
  return {
    deleted,
    skipped: skipped.slice(0, 1000).map(([path, reason]) => ({ path, reason })),
    stamps: new Map(stamps),
  }
}

const KIND: Readonly<Record<string, ManifestEntry['kind']>> = { file: 'file', dir: 'dir', symlink: 'link' }

async function stageFile(
  temp: string,
  body: { consume: (sink: (c: Buffer) => Promise<void>) => Promise<void> },
) {
  const handle = await open(temp, 'wx', 0o600)
  const hash = createHash('sha256')
  let size = 0
  try {
    await body.consume(async (chunk) => {
      hash.update(chunk)
      size += chunk.length
      await handle.write(chunk)
    })
  } finally {
    await handle.close()
  }
  return { size, hash: hash.digest('hex') }
}

function hasAncestorIn(path: string, set: ReadonlySet<string>): string | undefined {
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    if (set.has(path.slice(0, slash))) return path.slice(0, slash)
  }
  return undefined
}

/** Drops the entries under a path this change makes a file or link (nothing may be written through it). */
function withoutPathsThroughNonDirs(staged: StagedChange[], refused: SkippedEntry[]): StagedChange[] {
  const nonDirs = new Set(staged.filter((s) => s.kind !== 'dir').map((s) => s.path))
  return staged.filter((s) => {
    const through = hasAncestorIn(s.path, nonDirs)
    if (through)
      refused.push({
        path: s.path,
        reason: `goes through "${through}", which this change makes a file or a link`,
      })
    return !through
  })
}

/** Reads the whole stream (see the module's comment), staging file content under `stagingDir`. */
export async function receiveChanges(
  source: AsyncIterable<Buffer>,
  stagingDir: string,
  limits: ReceiveLimits,
): Promise<Received> {
  const src = new ByteSource(source)
  const { deleted, skipped, stamps } = await readList(src, limits)
  const staged: StagedChange[] = []
  const refused: SkippedEntry[] = []
  const seen = new Set<string>()
  await readTar(src, limits, async (entry, body) => {
    const path = entry.type === 'dir' ? entry.path?.replace(/\/$/u, '') : entry.path
    if (path === '.' || path === '') return
    const problem = entryProblem(entry, path) ?? (seen.has(path ?? '') ? 'appears twice' : undefined)
    const kind = KIND[entry.type]
    if (problem || path === undefined || !kind) {
      refused.push({ path: path ?? '(a name that is not UTF-8)', reason: problem ?? 'is refused' })
      return
    }
    seen.add(path)
    const mode = entry.mode & 0o777
    if (kind === 'file') {
      const temp = join(stagingDir, String(staged.length))
      staged.push({ path, kind, mode, temp, ...(await stageFile(temp, body)) })
    } else if (kind === 'link') {
      const target = entry.linkTarget ?? ''
      staged.push({
        path,
        kind,
        mode,
        size: Buffer.byteLength(target),
        hash: sha256(target),
        linkTarget: target,
      })
    } else staged.push({ path, kind, mode, size: 0, hash: '' })
  })
  return { staged: withoutPathsThroughNonDirs(staged, refused), deleted, refused, skipped, stamps }
}
