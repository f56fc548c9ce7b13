import { foldKey, maybeShortName } from './zip-fold'
import { shown, unsafe } from './zip-plan'

/** Longest symlink target accepted (PATH_MAX on Linux). */
export const MAX_LINK_TARGET = 4095
/** More hops than any kernel follows (Linux 40, macOS 32). */
const MAX_HOPS = 64

class Escape extends Error {}
const LOOP = 'too many levels of symlinks'

/**
 * Checks that every symlink of the archive stays inside the destination, by resolving its target the way
 * a kernel would against the tree the archive creates (following the archive's other symlinks, so
 * `a -> .` then `b -> a/..` is caught). Resolution runs twice: with exact names (Linux) and with
 * names folded as case-insensitive filesystems fold them (macOS, Windows: zip-fold.ts, so `ς -> .` then
 * `b -> Σ/..` is caught too). `links` maps a link's relative path to its target.
 */
export function checkSymlinks(links: Map<string, string>): void {
  for (const [path, target] of links) {
    const why = targetProblem(target)
    if (why) throw unsafe(`Symlink "${shown(path)}" ${why}.`, { entry: shown(path), target: shown(target) })
  }
  const exact = links
  const folded = new Map<string, string>()
  for (const [path, target] of links) folded.set(foldKey(path), target)
  for (const [path, target] of links) {
    for (const [table, key] of [
      [exact, (p: string) => p],
      [folded, foldKey],
    ] as const) {
      try {
        resolveInside(parentParts(path), target, table, key, 0)
      } catch (err) {
        if (!(err instanceof Escape)) throw err
        const what =
          err.message === LOOP ? 'loops or chains too many symlinks' : 'points outside the destination folder'
        throw unsafe(`Symlink "${shown(path)}" ${what} (${shown(target)}).`, {
          entry: shown(path),
          target: shown(target),
        })
      }
    }
  }
}

function targetProblem(target: string): string | undefined {
  if (target.length === 0) return 'has an empty target'
  if (target.length > MAX_LINK_TARGET) return 'has a target that is too long'
  if (target.includes('\0')) return 'has a NUL byte in its target'
  if (target.startsWith('/') || target.startsWith('\\')) return 'points to an absolute path'
  if (/^[a-zA-Z]:/.test(target)) return 'points to a drive-letter path'
  // A backslash is a plain character on unix but a separator on Windows: refuse the ambiguity.
  if (target.includes('\\')) return 'has a backslash in its target'
  // NTFS resolves `LONGNA~1` to a long name no fold predicts (perhaps another symlink of the archive).
  if (target.split('/').some(maybeShortName)) return 'has a name like a Windows short name in its target'
  return undefined
}

function parentParts(path: string): string[] {
  const parts = path.split('/')
  parts.pop()
  return parts
}

/** Resolves `target` relative to the directory `base` (components); throws Escape above the root. */
function resolveInside(
  base: string[],
  target: string,
  links: Map<string, string>,
  key: (p: string) => string,
  hops: number,
): string[] {
  if (hops > MAX_HOPS) throw new Escape(LOOP)
  if (target.startsWith('/') || target.startsWith('\\') || /^[a-zA-Z]:/.test(target))
    throw new Escape('absolute')
  let stack = [...base]
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (stack.length === 0) throw new Escape('above the root')
      stack.pop()
      continue
    }
    stack.push(part)
    const next = links.get(key(stack.join('/')))
    if (next !== undefined) stack = resolveInside(stack.slice(0, -1), next, links, key, hops + 1)
  }
  return stack
}
