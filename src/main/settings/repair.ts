import { defaultSettings, settingsSchema, type Settings } from '../../shared/settings'
import { isRecord } from './settings-patch'

export interface Repaired {
  settings: Settings
  /** Fields that were invalid and are back to their defaults ('*' for a file that was not an object). */
  badFields: string[]
}

function removeAt(target: Record<string, unknown>, path: PropertyKey[]): void {
  let parent: unknown = target
  for (const key of path.slice(0, -1)) {
    if (!isRecord(parent)) return
    parent = parent[String(key)]
  }
  if (isRecord(parent)) delete parent[String(path[path.length - 1])]
}

/**
 * Settings read from a file, valid whatever the file held: each invalid field falls back to its default
 * (a bad `limits.maxSteps` resets only that field), the rest is kept; unknown fields are dropped.
 */
export function repairSettings(raw: unknown): Repaired {
  if (!isRecord(raw)) return { settings: defaultSettings(), badFields: ['*'] }
  const candidate = structuredClone({ ...raw })
  const badFields = new Set<string>()
  // Every round removes at least one offending field, so this ends; the bound is a belt and braces.
  for (let round = 0; round < 100; round++) {
    const parsed = settingsSchema.safeParse(candidate)
    if (parsed.success) return { settings: parsed.data, badFields: [...badFields] }
    for (const issue of parsed.error.issues) {
      if (issue.path.length === 0) return { settings: defaultSettings(), badFields: ['*'] }
      badFields.add(issue.path.map(String).join('.'))
      removeAt(candidate, issue.path)
    }
  }
  return { settings: defaultSettings(), badFields: ['*'] }
}
