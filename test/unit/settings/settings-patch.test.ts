import { describe, expect, it } from 'vitest'
import { defaultSettings, settingsSchema } from '../../../src/shared/settings'
import { mergeSettings, settingsPatchSchema } from '../../../src/main/settings/settings-patch'
import { repairSettings } from '../../../src/main/settings/repair'

describe('settings patch', () => {
  it('adds no defaults: a one-field patch stays a one-field patch', () => {
    expect(settingsPatchSchema.parse({ limits: { maxSteps: 10 } })).toEqual({ limits: { maxSteps: 10 } })
    expect(settingsPatchSchema.parse({})).toEqual({})
    // What `settingsSchema.partial()` does instead: every absent field comes back as its default, so a
    // patch validated with it would reset every other setting.
    expect(settingsSchema.partial().parse({ model: 'x' })).toHaveProperty('theme', 'system')
    expect(settingsPatchSchema.parse({ model: 'x' })).toEqual({ model: 'x' })
  })

  it('checks values and names, nested ones too, and takes null to clear an optional field', () => {
    expect(settingsPatchSchema.safeParse({ limits: { maxSteps: 0 } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ limits: { nope: 1 } }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ nope: 1 }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ theme: 'pink' }).success).toBe(false)
    expect(settingsPatchSchema.safeParse({ model: null }).success).toBe(false)
    expect(settingsPatchSchema.parse({ baseUrl: null })).toEqual({ baseUrl: null })
  })

  it('merges nested objects field by field', () => {
    const current = { ...defaultSettings(), baseUrl: 'http://127.0.0.1:1/v1' }
    const merged = mergeSettings(current, { zip: { maxRatio: 50 }, baseUrl: null, theme: 'dark' })
    expect(merged).toEqual({
      ...defaultSettings(),
      zip: { ...defaultSettings().zip, maxRatio: 50 },
      theme: 'dark',
    })
    expect(current.baseUrl).toBe('http://127.0.0.1:1/v1') // not mutated
  })

  it('repairs field by field', () => {
    expect(repairSettings({ limits: { maxSteps: 'many', maxTokens: 5000 } })).toEqual({
      settings: { ...defaultSettings(), limits: { ...defaultSettings().limits, maxTokens: 5000 } },
      badFields: ['limits.maxSteps'],
    })
    expect(repairSettings(null)).toEqual({ settings: defaultSettings(), badFields: ['*'] })
    expect(repairSettings({ extra: 1 })).toEqual({ settings: defaultSettings(), badFields: [] })
  })
})
