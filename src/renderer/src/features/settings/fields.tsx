import type { FormField, SettingsForm, TextField } from './settings-form'

interface FieldProps {
  field: TextField
  label: string
  form: SettingsForm
  error?: string
  onChange: (field: FormField, value: string) => void
  help?: string
  unit?: string
  type?: 'text' | 'number' | 'url'
  placeholder?: string
  min?: number
  max?: number
  step?: number
  mono?: boolean
}

/** One labelled settings input with its unit, help and field-level error. */
export function Field(p: FieldProps): React.JSX.Element {
  const id = `setting-${p.field}`
  const describedBy = [p.help ? `${id}-help` : '', p.error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div className="stack setting-field">
      <label className="sublabel" htmlFor={id}>
        {p.label}
      </label>
      <div className="input-with-unit">
        <input
          id={id}
          className={p.mono ? 'input mono' : 'input'}
          type={p.type ?? 'number'}
          inputMode={p.type === 'number' || !p.type ? 'decimal' : undefined}
          min={p.min}
          max={p.max}
          step={p.step}
          placeholder={p.placeholder}
          value={p.form[p.field]}
          onChange={(e) => p.onChange(p.field, e.target.value)}
          aria-invalid={Boolean(p.error)}
          aria-describedby={describedBy || undefined}
          spellCheck={false}
        />
        {p.unit && <span className="unit">{p.unit}</span>}
      </div>
      {p.help && (
        <span className="help" id={`${id}-help`}>
          {p.help}
        </span>
      )}
      {p.error && (
        <span className="field-error" id={`${id}-error`} role="alert">
          {p.error}
        </span>
      )}
    </div>
  )
}

export function Section({
  id,
  title,
  description,
  children,
}: {
  id: string
  title: string
  description?: string
  children: React.ReactNode
}): React.JSX.Element {
  return (
    <section className="settings-section" aria-labelledby={`${id}-title`} id={id}>
      <div className="settings-section-head">
        <h2 id={`${id}-title`}>{title}</h2>
        {description && <p className="muted">{description}</p>}
      </div>
      <div className="settings-section-body">{children}</div>
    </section>
  )
}
