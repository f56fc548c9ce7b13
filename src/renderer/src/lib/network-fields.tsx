import { NETWORK_MODES, type NetworkMode } from '../../../shared/network'
import { isProxied, MODE_HELP, MODE_LABELS, type PhaseDraft } from './network'

interface Props {
  /** Prefix of the inputs' ids. */
  id: string
  /** "Setup network", "Agent network". */
  label: string
  value: PhaseDraft
  onChange: (next: PhaseDraft) => void
  error?: string
  /** A note under the mode (where the value comes from). */
  note?: React.ReactNode
}

/**
 * One phase's network: the mode, the hosts (the allowlist of custom; extra hosts on top of the registries),
 * and read-only where the policy proxy can enforce it.
 */
export function PhaseNetworkFields({ id, label, value, onChange, error, note }: Props): React.JSX.Element {
  const proxied = isProxied(value.mode)
  const set = (patch: Partial<PhaseDraft>): void => onChange({ ...value, ...patch })
  return (
    <div className="stack network-phase">
      <label className="sublabel" htmlFor={`${id}-mode`}>
        {label}
      </label>
      <select
        id={`${id}-mode`}
        className="input"
        value={value.mode}
        onChange={(e) => set({ mode: e.target.value as NetworkMode })}
        aria-describedby={`${id}-mode-help`}
      >
        {NETWORK_MODES.map((mode) => (
          <option key={mode} value={mode}>
            {MODE_LABELS[mode]}
          </option>
        ))}
      </select>
      <span className="help" id={`${id}-mode-help`}>
        {MODE_HELP[value.mode]} {note}
      </span>
      {proxied && (
        <>
          <label className="sublabel" htmlFor={`${id}-hosts`}>
            {value.mode === 'custom' ? `${label}: allowed hosts` : `${label}: also allow`}
          </label>
          <input
            id={`${id}-hosts`}
            className="input mono"
            value={value.hosts}
            placeholder={
              value.mode === 'custom' ? 'api.example.com, *.example.org' : 'optional: npm.example.com'
            }
            onChange={(e) => set({ hosts: e.target.value })}
            aria-invalid={Boolean(error)}
            aria-describedby={`${id}-hosts-help${error ? ` ${id}-hosts-error` : ''}`}
            spellCheck={false}
          />
          <span className="help" id={`${id}-hosts-help`}>
            Comma separated. <code>*.example.com</code> matches its subdomains; add <code>:port</code> for a
            port other than 80 and 443.
          </span>
          {error && (
            <span className="field-error" id={`${id}-hosts-error`} role="alert">
              {error}
            </span>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={value.readOnly}
              onChange={(e) => set({ readOnly: e.target.checked })}
            />
            <span>
              Read-only
              <span className="help">
                Only GET, HEAD and OPTIONS pass over plain HTTP. HTTPS is not decrypted, so an HTTPS request
                is judged by its host alone.
              </span>
            </span>
          </label>
        </>
      )}
    </div>
  )
}
