import { useEffect, useState } from 'react'
import type { RemoteEngine } from '../../../../shared/engines'
import type { AppErrorData } from '../../../../shared/errors'
import { ErrorView } from '../../lib/error-view'
import { fieldErrors } from '../../lib/errors'
import { settingsStore } from '../../lib/settings'
import {
  editDraft,
  enginesWithDraft,
  errorsAt,
  needsCertificates,
  type EngineDraft,
  type EngineErrors,
  type EngineField,
} from './engine-draft'

interface Props {
  /** The engines in Settings now. */
  engines: readonly RemoteEngine[]
  /** The engine edited; `engines.length` adds one. */
  index: number
  initial: EngineDraft
  /** Saved (true) or cancelled. */
  onDone: (saved: boolean) => void
}

interface InputProps {
  field: EngineField
  label: string
  draft: EngineDraft
  errors: EngineErrors
  onChange: (field: EngineField, value: string) => void
  help?: string
  placeholder?: string
  mono?: boolean
  readOnly?: boolean
  type?: 'text' | 'number'
}

/** One labelled input of the engine form, with its help and its error. */
function EngineInput(p: InputProps): React.JSX.Element {
  const id = `engine-form-${p.field}`
  const error = p.errors[p.field]
  const describedBy = [p.help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div className="stack setting-field">
      <label className="sublabel" htmlFor={id}>
        {p.label}
      </label>
      <input
        id={id}
        className={p.mono ? 'input mono' : 'input'}
        type={p.type ?? 'text'}
        min={p.type === 'number' ? 1 : undefined}
        max={p.type === 'number' ? 64 : undefined}
        value={p.draft[p.field]}
        placeholder={p.placeholder}
        readOnly={p.readOnly}
        onChange={(e) => p.onChange(p.field, e.target.value)}
        aria-invalid={Boolean(error)}
        aria-describedby={describedBy || undefined}
        spellCheck={false}
      />
      {p.help && (
        <span className="help" id={`${id}-help`}>
          {p.help}
        </span>
      )}
      {error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      )}
    </div>
  )
}

/** Saves the draft as the whole `engines` array; the schema's (or the engine's) messages go to their fields. */
function useEngineSave(props: Props, draft: EngineDraft) {
  const [errors, setErrors] = useState<EngineErrors>({})
  const [listError, setListError] = useState<string>()
  const [error, setError] = useState<AppErrorData>()
  const [saving, setSaving] = useState(false)
  const save = async (): Promise<void> => {
    const checked = enginesWithDraft(props.engines, draft, props.index)
    setErrors(checked.errors)
    setListError(checked.listError)
    setError(undefined)
    if (!checked.engines) return
    setSaving(true)
    const result = await settingsStore().update({ engines: checked.engines })
    setSaving(false)
    if (result.ok) return props.onDone(true)
    const byField = errorsAt(fieldErrors(result.error), props.index, 'engines.')
    if (Object.keys(byField).length) setErrors(byField)
    else setError(result.error)
  }
  return { errors, setErrors, listError, error, saving, save }
}

/** Add engine / Edit engine: name, id (from the name until typed), address, certificates, slots, on/off. */
export function EngineEditor(props: Props): React.JSX.Element {
  const adding = props.index >= props.engines.length
  const [draft, setDraft] = useState(props.initial)
  const s = useEngineSave(props, draft)
  const change = (field: EngineField, value: string): void => {
    setDraft((d) => editDraft(d, field, value))
    s.setErrors((e) => ({ ...e, [field]: undefined, ...(field === 'name' ? { id: undefined } : {}) }))
  }
  // Opened from a button: the keyboard carries on in the form's first field.
  useEffect(() => document.getElementById('engine-form-name')?.focus(), [])
  const common = { draft, errors: s.errors, onChange: change }
  const title = adding ? 'Add engine' : `Edit ${props.initial.name}`
  return (
    // Not a <form>: this sits inside the Settings form, so Enter saves the engine here, not the page.
    <div
      className="engine-editor"
      role="group"
      aria-label={title}
      onKeyDown={(e) => {
        if (e.key === 'Escape') return props.onDone(false)
        if (e.key !== 'Enter' || !(e.target instanceof HTMLInputElement)) return
        e.preventDefault()
        e.stopPropagation()
        void s.save()
      }}
    >
      <h3 className="engine-editor-title">{title}</h3>
      <div className="grid-2">
        <EngineInput {...common} field="name" label="Name" placeholder="Build box" />
        <EngineInput
          {...common}
          field="id"
          label="Id"
          mono
          readOnly={!adding}
          help={adding ? 'From the name; tasks record it.' : 'Tasks record it, so it stays.'}
        />
        <EngineInput
          {...common}
          field="host"
          label="Address"
          mono
          placeholder="tcp://build-box:2376 or ssh://me@build-box"
          help="tcp:// with client certificates (TLS), or ssh:// through your ssh agent."
        />
        {needsCertificates(draft.host) && (
          <EngineInput
            {...common}
            field="certDir"
            label="Certificate folder"
            mono
            placeholder="/home/me/.docker/build-box"
            help="Holds ca.pem, cert.pem and key.pem, as DOCKER_CERT_PATH does."
          />
        )}
        <EngineInput {...common} field="slots" label="Tasks at once" type="number" />
        <label className="row engine-enabled">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => setDraft((d) => ({ ...d, enabled: e.target.checked }))}
          />
          <span>Enabled (off: no new task starts there)</span>
        </label>
      </div>
      {s.listError && (
        <p className="field-error" role="alert">
          {s.listError}
        </p>
      )}
      {s.error && <ErrorView error={s.error} compact />}
      <div className="row">
        <button type="button" className="button primary" disabled={s.saving} onClick={() => void s.save()}>
          {s.saving ? 'Saving…' : 'Save engine'}
        </button>
        <button type="button" className="button ghost" onClick={() => props.onDone(false)}>
          Cancel
        </button>
      </div>
    </div>
  )
}
