import { describe, expect, it } from 'vitest'
import { formToPatch, toForm } from '../../../src/renderer/src/features/settings/settings-form'
import { defaultSettings, settingsSchema } from '../../../src/shared/settings'

describe('Settings → Agent image → registry and Settings → Setup cache → size cap', () => {
  it('shows the defaults: the project’s registry and 10 GiB', () => {
    const form = toForm(defaultSettings())
    expect(form.imageRegistry).toBe('ghcr.io/codex-sys/codex-sys-agent')
    expect(form.setupCacheGb).toBe('10')
  })

  it('saves a registry, or none (empty: always build), and refuses one that is not a repository', () => {
    const form = toForm(defaultSettings())
    expect(formToPatch({ ...form, imageRegistry: ' 127.0.0.1:5000/team/agent ' }).patch?.agentImage).toEqual({
      registry: '127.0.0.1:5000/team/agent',
    })
    expect(formToPatch({ ...form, imageRegistry: '' }).patch?.agentImage).toEqual({ registry: '' })
    const bad = formToPatch({ ...form, imageRegistry: 'https://ghcr.io/x' })
    expect(bad.patch).toBeUndefined()
    expect(bad.errors.imageRegistry).toMatch(/repository like/)
  })

  it('saves the cap in bytes, 0 keeps none, and a negative or empty cap is an error on that field', () => {
    const form = toForm(defaultSettings())
    expect(formToPatch({ ...form, setupCacheGb: '2.5' }).patch?.setupCache).toEqual({
      maxBytes: 2.5 * 1024 ** 3,
    })
    expect(formToPatch({ ...form, setupCacheGb: '0' }).patch?.setupCache).toEqual({ maxBytes: 0 })
    expect(formToPatch({ ...form, setupCacheGb: '-1' }).errors.setupCacheGb).toBeTruthy()
    expect(formToPatch({ ...form, setupCacheGb: '' }).errors.setupCacheGb).toBe('Enter a number.')
    const saved = settingsSchema.parse({ setupCache: { maxBytes: 512 * 1024 ** 2 } })
    expect(toForm(saved).setupCacheGb).toBe('0.5')
  })
})
