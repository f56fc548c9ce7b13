import type { FileDiff } from '../../../../shared/diff'
import type { HunkExclusion } from '../../../../shared/review'
import type { TaskRecord } from '../../../../shared/task'
import type { HunkExcluded } from './diff-editor'
import { fileKey } from './file-tree-model'

/**
 * What the user leaves out of what gets published: whole files (by `fileKey`) and hunks or lines of
 * files, as the task record keeps them. Pure functions: each returns a new selection.
 */
export interface Selection {
  paths: readonly string[]
  hunks: readonly HunkExclusion[]
}

export type IncludeState = 'all' | 'some' | 'none'

/** File key → hunk key → its exclusion: how the page looks a selection up. */
export type SelectionIndex = ReadonlyMap<string, ReadonlyMap<string, HunkExclusion>>

const NONE: readonly never[] = []

export function selectionOf(
  task: Pick<TaskRecord, 'excludedPaths' | 'excludedHunks'> | undefined,
): Selection {
  return { paths: task?.excludedPaths ?? NONE, hunks: task?.excludedHunks ?? NONE }
}

export function indexHunks(hunks: readonly HunkExclusion[]): SelectionIndex {
  const index = new Map<string, Map<string, HunkExclusion>>()
  for (const h of hunks) {
    let file = index.get(h.path)
    if (!file) index.set(h.path, (file = new Map()))
    file.set(h.key, h)
  }
  return index
}

/** The same selection written the same way (paths sorted, hunks by path then key): what gets saved. */
export function normalized(selection: Selection): Selection {
  const paths = [...new Set(selection.paths)].sort()
  const hunks = [...selection.hunks].sort((a, b) =>
    a.path === b.path ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.path < b.path ? -1 : 1,
  )
  return { paths, hunks }
}

export function sameSelection(a: Selection, b: Selection): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b))
}

/** Includes whole (clearing their hunk exclusions) or excludes whole these files. */
export function includeFiles(selection: Selection, keys: readonly string[], include: boolean): Selection {
  const chosen = new Set(keys)
  if (!include) return { paths: [...new Set([...selection.paths, ...keys])], hunks: selection.hunks }
  return {
    paths: selection.paths.filter((p) => !chosen.has(p)),
    hunks: selection.hunks.filter((h) => !chosen.has(h.path)),
  }
}

const without = (selection: Selection, path: string, key: string): HunkExclusion[] =>
  selection.hunks.filter((h) => h.path !== path || h.key !== key)

/** None → the whole hunk left out; left out whole or in part → included whole. */
export function toggleHunk(selection: Selection, path: string, key: string): Selection {
  const present = selection.hunks.some((h) => h.path === path && h.key === key)
  const hunks = without(selection, path, key)
  return { paths: selection.paths, hunks: present ? hunks : [...hunks, { path, key }] }
}

/**
 * Flips one changed line (an index into the hunk's `changes`, of which it has `lineCount`): every line
 * left out collapses to the whole hunk, none removes the entry. A reason stays with the hunk.
 */
export function toggleLine(
  selection: Selection,
  path: string,
  key: string,
  index: number,
  lineCount: number,
): Selection {
  const entry = selection.hunks.find((h) => h.path === path && h.key === key)
  const all = Array.from({ length: lineCount }, (_, i) => i)
  const out = new Set(entry ? (entry.lines ?? all) : [])
  if (!out.delete(index)) out.add(index)
  const rest = without(selection, path, key)
  if (out.size === 0) return { paths: selection.paths, hunks: rest }
  const next: HunkExclusion = { path, key, ...(entry?.reason ? { reason: entry.reason } : {}) }
  if (out.size < lineCount) next.lines = [...out].sort((a, b) => a - b)
  return { paths: selection.paths, hunks: [...rest, next] }
}

/** Why a left-out hunk is left out; an empty reason removes it. Nothing for a hunk that is included. */
export function setReason(selection: Selection, path: string, key: string, reason: string): Selection {
  const text = reason.trim()
  return {
    paths: selection.paths,
    hunks: selection.hunks.map((h) => {
      if (h.path !== path || h.key !== key) return h
      const { reason: _old, ...rest } = h
      return text ? { ...rest, reason: text } : rest
    }),
  }
}

/** Included whole, in part (some hunks or lines left out), or not at all (excluded, or every hunk left out). */
export function fileState(file: FileDiff, paths: ReadonlySet<string>, index: SelectionIndex): IncludeState {
  const key = fileKey(file)
  if (paths.has(key)) return 'none'
  const out = index.get(key)
  const hunks = file.hunks
  if (!out || out.size === 0 || !hunks?.length) return 'all'
  const present = hunks.filter((h) => out.has(h.key))
  if (present.length === 0) return 'all'
  const whole = present.every((h) => out.get(h.key)!.lines === undefined)
  return whole && present.length === hunks.length ? 'none' : 'some'
}

/** A file's left-out hunks as the editor takes them: hunk key → 'all' or the left-out line indices. */
export function excludedOf(index: SelectionIndex, key: string): HunkExcluded {
  const map = new Map<string, ReadonlySet<number> | 'all'>()
  for (const [hunk, h] of index.get(key) ?? []) map.set(hunk, h.lines ? new Set(h.lines) : 'all')
  return map
}

export function reasonsOf(index: SelectionIndex, key: string): ReadonlyMap<string, string> {
  const map = new Map<string, string>()
  for (const [hunk, h] of index.get(key) ?? []) if (h.reason) map.set(hunk, h.reason)
  return map
}
