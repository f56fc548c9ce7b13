import { useEffect, useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { Settings } from '../../../../shared/settings'
import { fieldErrors } from '../../lib/errors'
import { settingsStore } from '../../lib/settings'
import {
  errorsByField,
  formToPatch,
  sameForm,
  toForm,
  type FormField,
  type SettingsForm,
} from './settings-form'

export interface SettingsFormState {
  form?: SettingsForm
  dirty: boolean
  saving: boolean
  saved: boolean
  errors: Partial<Record<FormField, string>>
  error?: AppErrorData
  set: (field: FormField, value: string | boolean) => void
  save: () => Promise<void>
  revert: () => void
}

/** The Settings form: edits held locally, checked like the engine checks them, saved in one update. */
export function useSettingsForm(settings: Settings | undefined): SettingsFormState {
  const [form, setForm] = useState<SettingsForm>()
  const [errors, setErrors] = useState<Partial<Record<FormField, string>>>({})
  const [error, setError] = useState<AppErrorData>()
  const [saving, setSaving] = useState(false)
  const [saved, setSaved] = useState(false)
  const base = settings ? toForm(settings) : undefined
  const dirty = Boolean(form && base && !sameForm(form, base))

  // Loaded, or changed elsewhere while nothing is being edited: show what the engine has.
  const previous = useRef<Settings | undefined>(undefined)
  useEffect(() => {
    if (!settings) return
    const before = previous.current
    previous.current = settings
    setForm((current) =>
      current && before && !sameForm(current, toForm(before)) ? current : toForm(settings),
    )
  }, [settings])

  useEffect(() => {
    if (!saved) return
    const timer = setTimeout(() => setSaved(false), 2_500)
    return () => clearTimeout(timer)
  }, [saved])

  const set = (field: FormField, value: string | boolean): void => {
    setForm((f) => (f ? { ...f, [field]: value } : f))
    setErrors((e) => ({ ...e, [field]: undefined }))
    setSaved(false)
  }

  const save = async (): Promise<void> => {
    if (!form || !settings) return
    const { patch, errors: local } = formToPatch(form)
    setErrors(local)
    setError(undefined)
    if (!patch) return
    setSaving(true)
    const result = await settingsStore().update(patch)
    setSaving(false)
    if (result.ok) {
      setForm(toForm(result.value))
      setSaved(true)
      return
    }
    const byField = errorsByField(fieldErrors(result.error))
    if (Object.keys(byField).length) setErrors(byField)
    else setError(result.error)
  }

  const revert = (): void => {
    if (base) setForm(base)
    setErrors({})
    setError(undefined)
  }

  return { form, dirty, saving, saved, errors, error, set, save, revert }
}
