import { describe, expect, it } from 'vitest'
import { defaultSettings, settingsPatchSchema, settingsSchema } from '../../../src/shared/settings'
import { submitTaskInputSchema } from '../../../src/shared/task'

describe('the context window override', () => {
  it('is optional and validated in Settings and in a task’s limits', () => {
    expect(defaultSettings().limits.contextWindow).toBeUndefined()
    expect(settingsSchema.parse({ limits: { contextWindow: 64_000 } }).limits.contextWindow).toBe(64_000)
    expect(settingsSchema.safeParse({ limits: { contextWindow: 10 } }).success).toBe(false)
    expect(settingsSchema.safeParse({ limits: { contextWindow: 1.5e3 + 0.5 } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ limits: { contextWindow: null } }).success).toBe(true)
    const task = { source: { kind: 'folder', path: '/x' }, prompt: 'p' } as const
    expect(submitTaskInputSchema.parse({ ...task, limits: { contextWindow: 200_000 } }).limits).toEqual({
      contextWindow: 200_000,
    })
    expect(submitTaskInputSchema.safeParse({ ...task, limits: { contextWindow: -1 } }).success).toBe(false)
  })
})
