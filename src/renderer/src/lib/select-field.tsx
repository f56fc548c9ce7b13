export interface SelectOption {
  value: string
  label: string
}

interface Props {
  id: string
  label: string
  value: string
  options: readonly SelectOption[]
  help: string
  disabled?: boolean
  className?: string
  onChange: (value: string) => void
}

/** One labelled select with its help line (what the choice means), announced with it. */
export function SelectField(p: Props): React.JSX.Element {
  return (
    <div className={p.className ?? 'stack'}>
      <label className="sublabel" htmlFor={p.id}>
        {p.label}
      </label>
      <select
        id={p.id}
        className="input"
        value={p.value}
        disabled={p.disabled}
        onChange={(e) => p.onChange(e.target.value)}
        aria-describedby={`${p.id}-help`}
      >
        {p.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <span className="help" id={`${p.id}-help`}>
        {p.help}
      </span>
    </div>
  )
}
