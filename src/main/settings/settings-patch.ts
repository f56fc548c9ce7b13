import type { z } from 'zod'
import type { Settings, SettingsPatch } from '../../shared/settings'

export { settingsPatchSchema, type SettingsPatch } from '../../shared/settings'

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `current` with `patch` applied: nested objects merge field by field, `null` removes, undefined is ignored. */
export function mergeSettings(current: Settings, patch: SettingsPatch): Record<string, unknown> {
  const next: Record<string, unknown> = structuredClone(current)
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    if (value === null) delete next[key]
    else if (isRecord(value) && isRecord(next[key])) {
      const merged: Record<string, unknown> = { ...next[key] }
      for (const [field, fieldValue] of Object.entries(value)) {
        if (fieldValue === null) delete merged[field]
        else if (fieldValue !== undefined) merged[field] = fieldValue
      }
      next[key] = merged
    } else next[key] = value
  }
  return next
}

/** "limits.maxSteps: Too small: expected number to be >=1; theme: …" from a failed parse. */
export function describeIssues(error: z.ZodError): { message: string; fields: string[] } {
  const fields: string[] = []
  const parts = error.issues.map((issue) => {
    const field = issue.path.map(String).join('.') || 'settings'
    fields.push(field)
    return issue.code === 'unrecognized_keys'
      ? `${field === 'settings' ? '' : `${field}: `}unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : `${field}: ${issue.message}`
  })
  return { message: parts.join('; '), fields }
}

export { isRecord }
