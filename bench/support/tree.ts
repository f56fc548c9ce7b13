import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface TreeOptions {
  /** Number of regular files to create. */
  files: number
  /** PRNG seed: the same seed and options always give the same tree. */
  seed?: number
  /** Empty directories to add (default: files / 1000, at least 1). */
  emptyDirs?: number
}

export interface TreeStats {
  files: number
  dirs: number
  bytes: number
  executables: number
}

const WORDS = (
  'const let function return import export from if else for while await async class interface type ' +
  'string number boolean null undefined true false new this value result error data item list map set ' +
  'config options state props index count name path file dir buffer stream read write open close parse ' +
  'render update create delete handle request response user task event test expect describe it'
).split(' ')
const EXTENSIONS = ['ts', 'ts', 'ts', 'tsx', 'js', 'json', 'md', 'css', 'py', 'go', 'rs', 'yml', 'txt']
const DIR_NAMES = [
  'src',
  'lib',
  'components',
  'utils',
  'core',
  'api',
  'models',
  'views',
  'tests',
  'docs',
  'internal',
]

/** mulberry32: a small, fast, deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Source-like text of about `size` bytes. */
export function text(rand: () => number, size: number): string {
  const lines: string[] = []
  let len = 0
  while (len < size) {
    const indent = '  '.repeat(Math.floor(rand() * 4))
    const n = 3 + Math.floor(rand() * 9)
    const words: string[] = []
    for (let i = 0; i < n; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)] ?? 'x')
    const line = `${indent}${words.join(' ')}${rand() < 0.3 ? ` // ${Math.floor(rand() * 1e6)}` : ''}`
    lines.push(line)
    len += line.length + 1
  }
  return lines.join('\n').slice(0, size) + '\n'
}

export function binary(rand: () => number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i += 4) {
    const v = Math.floor(rand() * 4294967296)
    for (let j = 0; j < 4 && i + j < size; j++) buf[i + j] = (v >>> (j * 8)) & 0xff
  }
  return buf
}

/** A file size: mostly small source files, some medium, a few large. */
function pickSize(rand: () => number): number {
  const r = rand()
  if (r < 0.7) return 100 + Math.floor(rand() * 3_900)
  if (r < 0.95) return 4_000 + Math.floor(rand() * 12_000)
  if (r < 0.995) return 16_000 + Math.floor(rand() * 48_000)
  return 100_000 + Math.floor(rand() * 900_000)
}

/**
 * Writes a deterministic, realistic source tree of `files` files under `dir`: nested directories
 * (up to 6 deep, ~10-25 files each), mixed sizes (mostly small text, some binary, a few large files),
 * some executables and a few empty directories.
 */
export async function makeTree(dir: string, opts: TreeOptions): Promise<TreeStats> {
  const rand = prng(opts.seed ?? 42)
  const stats: TreeStats = { files: 0, dirs: 0, bytes: 0, executables: 0 }
  const dirs: string[] = ['']
  const made = new Set<string>()
  const ensure = async (rel: string): Promise<void> => {
    if (made.has(rel)) return
    await mkdir(join(dir, rel), { recursive: true })
    made.add(rel)
    stats.dirs++
  }
  await mkdir(dir, { recursive: true })

  let current = ''
  let left = 0
  const pending: Promise<void>[] = []
  for (let i = 0; i < opts.files; i++) {
    if (left === 0) {
      // Next directory: a child of a random existing one (bounded depth), or reuse one.
      const parent = dirs[Math.floor(rand() * dirs.length)] ?? ''
      const depth = parent === '' ? 0 : parent.split('/').length
      const base = DIR_NAMES[Math.floor(rand() * DIR_NAMES.length)] ?? 'd'
      current = depth >= 6 ? parent : join(parent, `${base}-${dirs.length}`)
      if (!dirs.includes(current)) dirs.push(current)
      await ensure(current)
      left = 10 + Math.floor(rand() * 16)
    }
    left--
    const isBinary = rand() < 0.03
    const isExec = !isBinary && rand() < 0.02
    const size = pickSize(rand)
    const ext = isBinary
      ? 'bin'
      : isExec
        ? 'sh'
        : (EXTENSIONS[Math.floor(rand() * EXTENSIONS.length)] ?? 'txt')
    const file = join(dir, current, `file-${i}.${ext}`)
    const content = isBinary ? binary(rand, size) : (isExec ? '#!/bin/sh\n' : '') + text(rand, size)
    stats.files++
    stats.bytes += Buffer.byteLength(content)
    if (isExec) stats.executables++
    pending.push(writeFile(file, content, { mode: isExec ? 0o755 : 0o644 }))
    if (pending.length >= 64) await Promise.all(pending.splice(0))
  }
  await Promise.all(pending)

  const emptyDirs = opts.emptyDirs ?? Math.max(1, Math.floor(opts.files / 1000))
  for (let i = 0; i < emptyDirs; i++) {
    const parent = dirs[Math.floor(rand() * dirs.length)] ?? ''
    await ensure(join(parent, `empty-${i}`))
  }
  return stats
}
