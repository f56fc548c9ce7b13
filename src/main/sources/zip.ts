import { lstatSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { lstat, mkdir, open, readdir, rm, stat, writeFile, type FileHandle } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { AppError } from '../errors'
import { yieldToEventLoop } from '../util/event-loop'
import { readCentralDirectory, TooManyEntriesError, type CentralDirectory } from './zip-entries'
import { extractFiles, readEntry } from './zip-extract'
import { linksAsFilesWarning, symlinkOrFile } from './link-fallback'
import { checkSymlinks, MAX_LINK_TARGET } from './zip-links'
import { caseCollision, planExtraction, shown, unsafe, type Plan } from './zip-plan'
import { fsFailure } from './zip-write'

export interface ZipLimits {
  maxEntries: number
  maxBytes: number
  maxRatio: number
}

export interface ZipImportResult {
  files: number
  bytes: number
  /** Symlinks written as files holding their target: the destination cannot hold symlinks. */
  linksAsFiles: string[]
  /** What the user should know about the extraction (shown on the task). */
  warnings: string[]
}

export interface ImportProgress {
  entries: number
  totalEntries: number
  bytes: number
}

/** Progress is reported every this many milliseconds, or this many bytes, whichever comes first. */
const PROGRESS_MS = 50
const PROGRESS_BYTES = 4 << 20

/**
 * Extracts a ZIP archive into `dest` (an empty or missing directory the engine owns). The whole central
 * directory is checked before anything is written: escaping names, symlinks that leave the folder or are
 * passed through, limits and bombs are refused with `unsafe_archive`; encryption, unsupported methods
 * and corruption with `import_failed`. A single top-level folder is stripped. Files keep their
 * executable bit (0o755, else 0o644); timestamps are not restored. Where the destination cannot hold
 * symlinks, they are written as files holding their target (with a warning); where it ignores case, names
 * that differ only in case are refused before anything is written. On any failure or abort, `dest` is
 * left as it was (missing, or empty).
 */
export async function importZip(opts: {
  file: string
  dest: string
  limits: ZipLimits
  onProgress?: (p: ImportProgress) => void
  signal?: AbortSignal
}): Promise<ZipImportResult> {
  const { file, dest, limits, signal } = opts
  if (signal?.aborted) throw cancelled()
  const handle = await openArchive(file)
  let prepared = false
  let created: string | undefined
  try {
    const size = (await handle.stat()).size
    const cd = await readDirectory(handle.fd, size, file, limits)
    const plan = planExtraction(cd.entries, cd.centralDirectoryOffset, size, limits)
    const links = await readLinks(handle.fd, plan)
    checkSymlinks(links)
    if (signal?.aborted) throw cancelled()
    created = await prepareDest(dest)
    prepared = true
    if (await ignoresCase(dest)) refuseCaseCollision(plan)
    return await extract(handle.fd, dest, plan, links, opts)
  } catch (err) {
    // A failed clean-up must not hide why the import failed.
    if (prepared) await cleanUp(dest, created).catch(() => undefined)
    if (err instanceof AppError) throw err
    if (signal?.aborted) throw cancelled()
    if (isDiskFull(err)) throw err // toErrorData maps it
    throw mapUnexpected(err)
  } finally {
    await handle.close()
  }
}

/** Whether the filesystem holding the directory `dir` ignores case (probed with a file, then removed). */
async function ignoresCase(dir: string): Promise<boolean> {
  const name = `.codex-case-probe-${randomBytes(6).toString('hex')}`
  await writeFile(join(dir, name), '', { flag: 'wx' })
  try {
    return await lstat(join(dir, name.toUpperCase())).then(
      () => true,
      () => false,
    )
  } finally {
    await rm(join(dir, name), { force: true })
  }
}

function refuseCaseCollision(plan: Plan): void {
  const pair = caseCollision(plan)
  if (!pair) return
  const [a, b] = pair.map(shown)
  throw new AppError(
    'import_failed',
    `The archive holds "${a}" and "${b}", which are the same name on this disk (it ignores case).`,
    {
      hint: 'Nothing was extracted. Rename or remove one of them in the archive, or import it onto a case-sensitive disk.',
      details: { entries: [a, b] },
    },
  )
}

function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

function cancelled(): AppError {
  return new AppError('cancelled', 'The import was cancelled.', {
    hint: 'Nothing was kept; start it again to import.',
  })
}

function notZip(file: string, reason: string): AppError {
  return new AppError('import_failed', `"${basename(file)}" is not a valid ZIP archive.`, {
    hint: 'Pick a .zip file, or re-create the archive (it may be truncated or corrupt).',
    details: { reason },
  })
}

function mapUnexpected(err: unknown): AppError {
  const code = (err as { code?: unknown } | null)?.code
  return new AppError(
    'import_failed',
    `The ZIP import failed (${typeof code === 'string' ? code : 'unexpected error'}).`,
    {
      hint: 'Try again; if it keeps failing, extract the archive yourself and import the folder.',
      cause: err,
    },
  )
}

async function openArchive(file: string): Promise<FileHandle> {
  let handle: FileHandle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'ENOENT') {
      throw new AppError('not_found', `The ZIP file ${file} does not exist.`, {
        hint: 'Pick an existing .zip file.',
      })
    }
    throw new AppError('import_failed', `The ZIP file ${file} cannot be read (${String(code ?? 'error')}).`, {
      hint: 'Check that the file is readable, then try again.',
      cause: err,
    })
  }
  const info = await handle.stat()
  if (!info.isFile()) {
    await handle.close()
    throw new AppError('import_failed', `${file} is not a file.`, { hint: 'Pick a .zip file.' })
  }
  return handle
}

async function readDirectory(
  fd: number,
  size: number,
  file: string,
  limits: ZipLimits,
): Promise<CentralDirectory> {
  try {
    return await readCentralDirectory(fd, size, limits.maxEntries)
  } catch (err) {
    if (err instanceof TooManyEntriesError) {
      throw unsafe(`The archive has ${err.count} entries (limit ${limits.maxEntries}).`, {
        entries: err.count,
      })
    }
    throw notZip(file, err instanceof Error ? err.message.split('\n')[0] || 'unreadable' : 'unreadable')
  }
}

/** Reads every symlink's target (small, checked before anything is written). */
async function readLinks(fd: number, plan: Plan): Promise<Map<string, string>> {
  const links = new Map<string, string>()
  for (const p of plan.symlinks) {
    if (p.entry.uncompressedSize > MAX_LINK_TARGET || p.entry.compressedSize > 2 * MAX_LINK_TARGET + 64) {
      throw unsafe(`Symlink "${shown(p.path)}" has a target that is too long.`, { entry: shown(p.path) })
    }
    links.set(p.path, (await readEntry(fd, p)).toString('utf8'))
  }
  return links
}

/**
 * Makes sure `dest` is an empty directory. Returns the top-most directory it had to create (`dest` or
 * a missing ancestor), or undefined when `dest` existed.
 */
async function prepareDest(dest: string): Promise<string | undefined> {
  const info = await stat(dest).catch((err: { code?: unknown }) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (!info) return (await mkdir(dest, { recursive: true })) ?? dest
  if (!info.isDirectory() || (await readdir(dest)).length > 0) {
    throw new AppError('conflict', `The import destination ${dest} is not an empty folder.`, {
      hint: 'This is a bug in the engine: each import needs a fresh workspace.',
    })
  }
  return undefined
}

/** Puts `dest` back as it was: removed (with any ancestor made for it) if it did not exist, else emptied. */
async function cleanUp(dest: string, created: string | undefined): Promise<void> {
  if (created !== undefined) {
    await rm(created, { recursive: true, force: true, maxRetries: 3 })
    return
  }
  const names = await readdir(dest).catch(() => [] as string[])
  await Promise.all(names.map((n) => rm(join(dest, n), { recursive: true, force: true, maxRetries: 3 })))
}

async function extract(
  fd: number,
  dest: string,
  plan: Plan,
  links: Map<string, string>,
  opts: { onProgress?: (p: ImportProgress) => void; signal?: AbortSignal },
): Promise<ZipImportResult> {
  const total = plan.totalEntries
  let entries = total - plan.files.length - plan.symlinks.length
  let bytes = 0
  let last = 0
  let lastBytes = 0
  const report = (force: boolean): void => {
    const now = performance.now()
    if (!opts.onProgress || (!force && now - last < PROGRESS_MS && bytes - lastBytes < PROGRESS_BYTES)) return
    last = now
    lastBytes = bytes
    opts.onProgress({ entries, totalEntries: total, bytes })
  }
  for (let i = 0; i < plan.dirs.length; i++) {
    makeDir(join(dest, plan.dirs[i] as string), plan.dirs[i] as string)
    if (i % 1000 === 999) await yieldToEventLoop()
  }
  report(true)
  const progress = (n: number, b: number): void => {
    entries += n
    bytes += b
    report(false)
  }
  await extractFiles({ fd, dest, signal: opts.signal, progress }, plan.files)
  // Links last, so that nothing was ever written through one.
  const linksAsFiles: string[] = []
  for (const [path, target] of links) {
    try {
      if (await symlinkOrFile(target, join(dest, path))) linksAsFiles.push(path)
    } catch (err) {
      throw fsFailure(path, err)
    }
    progress(1, 0)
  }
  report(true)
  opts.signal?.throwIfAborted()
  const warnings = linksAsFiles.length ? [linksAsFilesWarning(linksAsFiles, 'The workspace disk')] : []
  return { files: plan.files.length + plan.symlinks.length, bytes, linksAsFiles, warnings }
}

function makeDir(path: string, rel: string): void {
  try {
    mkdirSync(path, { mode: 0o755 })
  } catch (err) {
    // A case-insensitive filesystem may have made it already under another spelling.
    if ((err as { code?: unknown }).code === 'EEXIST' && lstatSync(path).isDirectory()) return
    throw fsFailure(rel, err)
  }
}
