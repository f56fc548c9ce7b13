import { DATE_FILTERS, type DateFilter, type DateFilterKind } from './date-filter'

interface Props {
  value: DateFilter
  onChange: (value: DateFilter) => void
  /** Why the range cannot be used (it then filters nothing), shown under it. */
  error?: string
}

const ERROR_ID = 'task-date-error'

/**
 * A date field's day, or (half typed, which the browser reports as '' with `badInput`) a text no day
 * matches, so the range says it is not a valid date instead of quietly dropping that end.
 */
const dayOf = (input: HTMLInputElement): string => input.value || (input.validity?.badInput ? 'invalid' : '')
/** What the field shows: a half-typed day stays as the user left it (React writes '' over '' — nothing). */
const shownDay = (day: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? day : '')

/** Chips "Any time / Today / Last 7 days / Range", and the range's from–to days when it is picked. */
export function DateFilterControl({ value, onChange, error }: Props): React.JSX.Element {
  const range = value.kind === 'range' ? value : undefined
  const pick = (kind: DateFilterKind): void =>
    onChange(kind === 'range' ? { kind, from: range?.from ?? '', to: range?.to ?? '' } : { kind })
  const setRange = (patch: { from?: string; to?: string }): void =>
    onChange({ kind: 'range', from: range?.from ?? '', to: range?.to ?? '', ...patch })
  const invalid = error ? 'true' : undefined
  return (
    <div className="date-filter" role="group" aria-label="Filter by date">
      <div className="chips date-chips">
        {DATE_FILTERS.map((f) => (
          <button
            key={f.kind}
            type="button"
            className="chip"
            aria-pressed={value.kind === f.kind}
            onClick={() => pick(f.kind)}
          >
            {f.label}
          </button>
        ))}
      </div>
      {range && (
        <div className="date-filter-row">
          <input
            type="date"
            className="date-filter-day"
            aria-label="From"
            value={shownDay(range.from)}
            max={shownDay(range.to) || undefined}
            aria-invalid={invalid}
            aria-describedby={error ? ERROR_ID : undefined}
            onChange={(e) => setRange({ from: dayOf(e.target) })}
          />
          <span className="date-filter-dash" aria-hidden="true">
            –
          </span>
          <input
            type="date"
            className="date-filter-day"
            aria-label="To"
            value={shownDay(range.to)}
            min={shownDay(range.from) || undefined}
            aria-invalid={invalid}
            aria-describedby={error ? ERROR_ID : undefined}
            onChange={(e) => setRange({ to: dayOf(e.target) })}
          />
        </div>
      )}
      {range && error && (
        <span className="field-error" id={ERROR_ID} role="alert">
          {error} Showing tasks from any day.
        </span>
      )}
    </div>
  )
}
