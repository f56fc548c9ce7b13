import type { NetworkPhase } from '../../../../shared/network'
import { PhaseNetworkFields } from '../../lib/network-fields'
import { Field } from './fields'
import { REGISTRIES_PRESET, type FormField, type SettingsForm } from './settings-form'

interface Props {
  form: SettingsForm
  set: (field: FormField, value: string | boolean) => void
  errors: Partial<Record<FormField, string>>
}

const PHASES: { phase: NetworkPhase; label: string; note: string }[] = [
  {
    phase: 'setup',
    label: 'Setup network',
    note: 'For setup.sh. In Package registries, also the host a Git repository is cloned from.',
  },
  { phase: 'agent', label: 'Agent network', note: 'For the commands the agent runs.' },
]

/** Each phase's default network, the registries preset, and the extra certificates the sandbox trusts. */
export function NetworkSection({ form, set, errors }: Props): React.JSX.Element {
  const count = form.registries.split(/[\s,]+/).filter(Boolean).length
  return (
    <>
      <div className="grid-2">
        {PHASES.map(({ phase, label, note }) => (
          <PhaseNetworkFields
            key={phase}
            id={`setting-${phase}-network`}
            label={label}
            value={{
              mode: form[`${phase}Mode`],
              hosts: form[`${phase}Hosts`],
              readOnly: form[`${phase}ReadOnly`],
            }}
            onChange={(next) => {
              set(`${phase}Mode`, next.mode)
              set(`${phase}Hosts`, next.hosts)
              set(`${phase}ReadOnly`, next.readOnly)
            }}
            error={errors[`${phase}Hosts`]}
            note={note}
          />
        ))}
      </div>
      <div className="stack setting-field">
        <label className="sublabel" htmlFor="setting-registries">
          Package registries
        </label>
        <textarea
          id="setting-registries"
          className="input mono"
          rows={8}
          value={form.registries}
          onChange={(e) => set('registries', e.target.value)}
          aria-invalid={Boolean(errors.registries)}
          aria-describedby="setting-registries-help"
          spellCheck={false}
        />
        <div className="setting-note">
          <span className="help" id="setting-registries-help">
            What Package registries allows: {count} {count === 1 ? 'host' : 'hosts'}, one per line. The preset
            covers npm, Yarn, PyPI, crates.io, Go, Maven Central, RubyGems, NuGet, Packagist, Debian, Ubuntu
            and Alpine mirrors, and GitHub’s downloads.
          </span>
          <button
            type="button"
            className="button small"
            disabled={form.registries === REGISTRIES_PRESET}
            onClick={() => set('registries', REGISTRIES_PRESET)}
          >
            Reset to the preset
          </button>
        </div>
        {errors.registries && (
          <span className="field-error" role="alert">
            {errors.registries}
          </span>
        )}
      </div>
      <Field
        form={form}
        onChange={set}
        field="caBundlePath"
        label="Extra CA certificates"
        type="text"
        mono
        placeholder="/etc/ssl/certs/company-ca.pem"
        help="A PEM file the sandbox and the agent image build trust, besides the certificates the host trusts (its system store, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE). Needed behind a TLS-inspecting proxy whose certificate is not among those. Empty: the host’s alone."
        error={errors.caBundlePath}
      />
    </>
  )
}
