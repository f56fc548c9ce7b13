import {
  closeSync,
  constants,
  copyFileSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  lstatSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeSync,
  type Dirent,
  type Stats,
} from 'node:fs'
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import ignore, { type Ignore } from 'ignore'
import { AppError } from '../errors'
import { yieldToEventLoop } from '../util/event-loop'
import { copyLargeFile, LARGE_FILE } from './large-file-copy'
import { linksAsFilesWarning, symlinkOrFileSync } from './link-fallback'

export interface FolderImportProgress {
  files: number
  bytes: number
}

export interface FolderImportResult {
  files: number
  bytes: number
  skipped: number
  /** Symlinks written as files holding their target: the destination cannot hold symlinks. */
  linksAsFiles: string[]
  /** What the user should know about the copy (shown on the task). */
  warnings: string[]
}

/** Rules of one `.gitignore`, relative to the directory (a `/`-joined relative path) that holds it. */
export interface IgnoreLevel {
  dir: string
  rules: Ignore
}

interface PendingDir {
  rel: string
  levels: IgnoreLevel[]
}

/** Files below this size are copied through one buffer: fewer syscalls than copyFile on most disks. */
const SMALL_FILE = 1 << 20
/** Longest stretch of synchronous copying before the event loop gets a turn. */
const SLICE_MS = 15

/**
 * Copies a folder into `dest` (missing or an empty folder), leaving the original untouched: `.git` and whatever the
 * `.gitignore` files exclude are skipped, symlinks (and junctions) are copied as links and never followed,
 * and files are cloned copy-on-write where the filesystem can. Where `dest` cannot hold symlinks, each is
 * written as a file holding its target and the result warns (link-fallback.ts). On a failure `dest` is
 * removed.
 *
 * The copy runs in short synchronous slices: per-file promises cost more than the copy itself on small
 * files, and the slices keep the event loop (IPC, other tasks) responsive.
 */
export async function importFolder(opts: {
  source: string
  dest: string
  /** The copy stops with a clear error once its files add up to more than this (the workspace limit). */
  maxBytes?: number
  onProgress?: (p: FolderImportProgress) => void
  signal?: AbortSignal
}): Promise<FolderImportResult> {
  const source = resolve(opts.source)
  const dest = resolve(opts.dest)
  await assertDirectory(source)
  if (dest === source || dest.startsWith(source + sep)) {
    throw new AppError('invalid_input', 'The workspace cannot be inside the folder it copies.')
  }
  const copier = new FolderCopier(source, dest)
  // Never remove a destination this import did not make: an existing folder must be empty, and on
  // failure only what was copied into it goes.
  const created = await prepareDest(dest)
  try {
    const stack: PendingDir[] = [{ rel: '', levels: [] }]
    let sliceStart = performance.now()
    while (stack.length) {
      if (performance.now() - sliceStart > SLICE_MS) {
        opts.onProgress?.({ files: copier.files, bytes: copier.bytes })
        await yieldToEventLoop()
        sliceStart = performance.now()
      }
      if (opts.signal?.aborted) throw new AppError('cancelled', 'The import was cancelled.')
      stack.push(...copier.copyDirEntries(stack.pop()!))
      if (opts.maxBytes !== undefined && copier.bytes + copier.largeBytes > opts.maxBytes) {
        throw tooLarge(source, opts.maxBytes)
      }
      if (copier.large.length) await copier.copyLargeFiles(opts.signal)
    }
    opts.onProgress?.({ files: copier.files, bytes: copier.bytes })
    const linksAsFiles = copier.linksAsFiles
    return {
      files: copier.files,
      bytes: copier.bytes,
      skipped: copier.skipped,
      linksAsFiles,
      warnings: linksAsFiles.length ? [linksAsFilesWarning(linksAsFiles, 'The workspace disk')] : [],
    }
  } catch (err) {
    await cleanUp(dest, created).catch(() => undefined)
    throw err
  }
}

function tooLarge(source: string, maxBytes: number): AppError {
  const gb = (maxBytes / 1024 ** 3).toFixed(1).replace(/\.0$/, '')
  return new AppError('budget_exceeded', `The folder ${source} holds more than ${gb} GB of files.`, {
    hint: 'Nothing was imported. Leave big files out with a .gitignore, or raise "Workspace size" in Settings.',
    details: { maxBytes },
  })
}

/** Creates `dest` (true) or checks that an existing one is an empty folder (false). */
async function prepareDest(dest: string): Promise<boolean> {
  await mkdir(dirname(dest), { recursive: true })
  try {
    await mkdir(dest)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const info = await lstat(dest)
  if (!info.isDirectory() || (await readdir(dest)).length > 0) {
    throw new AppError('conflict', `The import destination ${dest} is not an empty folder.`, {
      hint: 'Nothing was copied. Start a new task for this folder.',
      details: { dest },
    })
  }
  return false
}

async function cleanUp(dest: string, created: boolean): Promise<void> {
  if (created) return rm(dest, { recursive: true, force: true, maxRetries: 3 })
  for (const name of await readdir(dest)) {
    await rm(join(dest, name), { recursive: true, force: true, maxRetries: 3 })
  }
}

async function assertDirectory(path: string): Promise<void> {
  const info = await stat(path).catch(() => null)
  if (!info) {
    throw new AppError('not_found', `The folder ${path} does not exist.`, {
      hint: 'Pick an existing folder.',
    })
  }
  if (!info.isDirectory()) {
    throw new AppError('invalid_input', `${path} is not a folder.`, {
      hint: 'Pick a folder, or drop a ZIP file.',
    })
  }
}

class FolderCopier {
  files = 0
  bytes = 0
  skipped = 0
  readonly linksAsFiles: string[] = []
  /** The source's real path: every folder copied must really be below it, reached through no link. */
  private readonly realSource: string
  /** Whether the filesystem clones files (reflink); unknown until the first file is tried. */
  private reflink: boolean | undefined
  private readonly buffer = Buffer.allocUnsafe(SMALL_FILE)
  /** Large files seen by the last slice, copied off the event loop before the next one. */
  large: Array<{ src: string; dst: string; info: Stats }> = []
  get largeBytes(): number {
    return this.large.reduce((n, f) => n + f.info.size, 0)
  }

  constructor(
    private readonly source: string,
    private readonly dest: string,
  ) {
    this.realSource = realpathSync(source)
  }

  /** Copies one directory's files and links; returns its subdirectories (already created) to visit. */
  copyDirEntries({ rel, levels: parentLevels }: PendingDir): PendingDir[] {
    const from = rel ? join(this.source, rel) : this.source
    if (rel) this.assertRealDirectory(from, rel)
    const entries = readdirSync(from, { withFileTypes: true })
    const levels = withGitignore(from, rel, entries, parentLevels)
    const subdirs: PendingDir[] = []
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.name === '.git' || isIgnored(levels, childRel, entry.isDirectory())) {
        this.skipped++
        continue
      }
      const src = join(from, entry.name)
      const dst = join(this.dest, childRel)
      // A junction or another reparse point may be listed as a folder: only lstat tells, and a link is
      // copied as a link, never followed.
      if (entry.isDirectory() && !lstatSync(src).isSymbolicLink()) {
        mkdirSync(dst)
        subdirs.push({ rel: childRel, levels })
      } else if (entry.isSymbolicLink() || entry.isDirectory()) {
        if (symlinkOrFileSync(readlinkSync(src), dst)) this.linksAsFiles.push(childRel)
        this.files++
      } else if (entry.isFile()) {
        const copied = this.copyFile(src, dst)
        if (copied >= 0) {
          this.bytes += copied
          this.files++
        }
      } else {
        this.skipped++ // sockets, FIFOs, devices: not source code
      }
    }
    return subdirs.reverse()
  }

  /**
   * Refuses a folder that is not where the walk expects it: a link (a symlink, a Windows junction or mount
   * point that lstat does not call a link) or one swapped for a link since it was listed. Its real path
   * must be the source's real path plus `rel`.
   */
  private assertRealDirectory(from: string, rel: string): void {
    const info = lstatSync(from)
    const real = realpathSync(from)
    if (info.isDirectory() && !info.isSymbolicLink() && real === join(this.realSource, rel)) return
    throw new AppError(
      'import_failed',
      `The folder "${rel}" is reached through a link; it was not followed.`,
      {
        hint: 'Nothing was imported. It is a symlink, a junction or a mount point (or it changed during the copy): replace it with a real folder, or import the folder it points to.',
        details: { path: rel },
      },
    )
  }

  async copyLargeFiles(signal?: AbortSignal): Promise<void> {
    const batch = this.large
    this.large = []
    for (const { src, dst, info } of batch) {
      await copyLargeFile(src, dst, info, signal)
      this.bytes += info.size
      this.files++
    }
  }

  /** Copies a file now and returns its size, or -1 when it is large and left for copyLargeFiles. */
  private copyFile(src: string, dst: string): number {
    if (this.reflink !== false) {
      const cloned = this.tryClone(src, dst)
      if (cloned >= 0) return cloned
    }
    const fd = openSync(src, 'r')
    try {
      const info = fstatSync(fd)
      if (info.size >= LARGE_FILE) {
        this.large.push({ src, dst, info })
        return -1
      }
      if (info.size >= SMALL_FILE) {
        copyFileSync(src, dst)
        return info.size
      }
      const length = readSync(fd, this.buffer, 0, SMALL_FILE, 0)
      const out = openSync(dst, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, info.mode & 0o7777)
      try {
        writeSync(out, this.buffer, 0, length)
      } finally {
        closeSync(out)
      }
      return length
    } finally {
      closeSync(fd)
    }
  }

  /** Clones copy-on-write; returns the size, or -1 when this filesystem cannot clone. */
  private tryClone(src: string, dst: string): number {
    try {
      copyFileSync(src, dst, constants.COPYFILE_FICLONE_FORCE)
      this.reflink = true
      return statSync(dst).size
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (this.reflink === undefined && code && CANNOT_CLONE.has(code)) {
        this.reflink = false
        return -1
      }
      throw err
    }
  }
}

const CANNOT_CLONE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY'])

export function withGitignore(
  absDir: string,
  rel: string,
  entries: Dirent[],
  parentLevels: IgnoreLevel[],
): IgnoreLevel[] {
  if (!entries.some((e) => e.name === '.gitignore' && e.isFile())) return parentLevels
  const text = readFileSync(join(absDir, '.gitignore'), 'utf8')
  return [...parentLevels, { dir: rel, rules: ignore({ allowRelativePaths: true }).add(text) }]
}

/** Git semantics: the deepest `.gitignore` with a verdict on the path wins. */
export function isIgnored(levels: IgnoreLevel[], rel: string, isDir: boolean): boolean {
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i]!
    const local = level.dir ? rel.slice(level.dir.length + 1) : rel
    const verdict = level.rules.test(isDir ? `${local}/` : local)
    if (verdict.ignored) return true
    if (verdict.unignored) return false
  }
  return false
}
