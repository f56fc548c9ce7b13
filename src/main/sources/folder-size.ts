import { lstatSync, readdirSync, type Dirent } from 'node:fs'
import { join } from 'node:path'
import { yieldToEventLoop } from '../util/event-loop'
import { isIgnored, withGitignore, type IgnoreLevel } from './folder'

const SLICE_MS = 15

export interface FolderSize {
  bytes: number
  /** False when the walk ran out of time: `bytes` is then what it had counted (a lower bound). */
  complete: boolean
}

/**
 * About what a folder import copies: the bytes of the files it would take (`.git` and whatever the
 * `.gitignore` files exclude left out, links counted as nothing), walked within `budgetMs`. Unreadable
 * folders are left to the import itself to report.
 */
export async function measureFolder(source: string, budgetMs = 2000): Promise<FolderSize> {
  const stop = performance.now() + budgetMs
  const stack: Array<{ rel: string; levels: IgnoreLevel[] }> = [{ rel: '', levels: [] }]
  let bytes = 0
  let sliceStart = performance.now()
  while (stack.length) {
    if (performance.now() > stop) return { bytes, complete: false }
    if (performance.now() - sliceStart > SLICE_MS) {
      await yieldToEventLoop()
      sliceStart = performance.now()
    }
    const { rel, levels: parent } = stack.pop()!
    const abs = rel ? join(source, rel) : source
    const entries = safeReaddir(abs)
    const levels = withGitignore(abs, rel, entries, parent)
    for (const entry of entries) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.name === '.git' || isIgnored(levels, childRel, entry.isDirectory())) continue
      if (entry.isDirectory()) stack.push({ rel: childRel, levels })
      else if (entry.isFile()) bytes += sizeOf(join(abs, entry.name))
    }
  }
  return { bytes, complete: true }
}

function safeReaddir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

function sizeOf(path: string): number {
  try {
    return lstatSync(path).size
  } catch {
    return 0
  }
}
