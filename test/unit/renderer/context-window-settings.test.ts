import { describe, expect, it } from 'vitest'
import { formToPatch, toForm } from '../../../src/renderer/src/features/settings/settings-form'
import { defaultSettings, settingsSchema } from '../../../src/shared/settings'

describe('Settings → Limits → Context window', () => {
  it('is a Settings field: empty clears it, a number sets it, a too small one is an error on that field', () => {
    const form = toForm(defaultSettings())
    expect(form.contextWindow).toBe('')
    expect(formToPatch(form).patch?.limits).toMatchObject({ contextWindow: null })
    expect(formToPatch({ ...form, contextWindow: '200000' }).patch?.limits).toMatchObject({
      contextWindow: 200_000,
    })
    expect(formToPatch({ ...form, contextWindow: '500' }).errors.contextWindow).toBeTruthy()
    expect(toForm(settingsSchema.parse({ limits: { contextWindow: 64_000 } })).contextWindow).toBe('64000')
  })
})
