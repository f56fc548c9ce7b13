import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { endpointLabel } from '../../../../shared/secret-endpoints'
import type { SecretBinding, SecretName, SecretsStatus } from '../../../../shared/system'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { settingsStore } from '../../lib/settings'

interface Props {
  name: SecretName
  label: string
  help: string
  placeholder: string
  status?: SecretsStatus
  onStatus: (status: SecretsStatus) => void
}

/**
 * A write-only credential: says whether one is stored and where, lets the user replace or remove it,
 * and never shows (or can read) the value. What was typed is dropped as soon as it is stored. When the
 * settings now send it to another endpoint than it was entered for, it says so and offers the two ways on:
 * confirm that endpoint (`secrets.allowEndpoint`) or enter the secret again.
 */
export function SecretField({ name, label, help, placeholder, status, onStatus }: Props): React.JSX.Element {
  const [editing, setEditing] = useState(false)
  const [value, setValue] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<AppErrorData>()
  const isSet = status?.[name] ?? false
  const binding = isSet ? status?.bindings?.[name] : undefined
  const what = name === 'openai' ? 'key' : 'token'
  const where = status?.backend === 'session' ? 'Stored for this session only' : 'Stored in keychain'
  const inputId = `secret-${name}`

  const run = async (call: () => ReturnType<(typeof api)['secrets.delete']>): Promise<boolean> => {
    setBusy(true)
    setError(undefined)
    const result = await settle(call)
    setBusy(false)
    if (!result.ok) {
      setError(result.error)
      return false
    }
    onStatus(result.value)
    return true
  }

  const save = async (): Promise<void> => {
    const trimmed = value.trim()
    if (!trimmed) return
    const stored = await run(() => api['secrets.set']({ name, value: trimmed }))
    setValue('')
    if (stored) setEditing(false)
  }

  const allow = async (endpoint: string): Promise<void> => {
    const done = await run(() => api['secrets.allowEndpoint']({ name, endpoint }))
    // Refused (the endpoint moved since this page loaded it): show the one in effect now.
    if (!done) void settingsStore().reload()
  }

  const showInput = editing || !isSet
  return (
    <div className="secret-field">
      <div className="secret-head">
        <label className="label" htmlFor={inputId}>
          {label}
        </label>
        {status && (
          <span className={`pill ${isSet ? (status.backend === 'session' ? 'warn' : 'ok') : 'muted'}`}>
            {isSet ? where : 'Not set'}
          </span>
        )}
      </div>
      {showInput ? (
        <div className="row">
          <input
            id={inputId}
            type="password"
            className="input mono grow"
            placeholder={isSet ? 'Enter a new value' : placeholder}
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault()
                void save()
              } else if (e.key === 'Escape' && isSet) setEditing(false)
            }}
          />
          <button
            type="button"
            className="button"
            disabled={busy || !value.trim()}
            onClick={() => void save()}
          >
            {busy ? 'Saving…' : 'Save'}
          </button>
          {isSet && (
            <button
              type="button"
              className="button ghost"
              onClick={() => {
                setEditing(false)
                setValue('')
              }}
            >
              Cancel
            </button>
          )}
        </div>
      ) : (
        <div className="row">
          <span className="secret-mask mono" aria-label={`${label}: ${where.toLowerCase()}`}>
            ••••••••••••
          </span>
          <button type="button" className="button" onClick={() => setEditing(true)}>
            Replace
          </button>
          <button
            type="button"
            className="button ghost danger"
            disabled={busy}
            onClick={() => void run(() => api['secrets.delete']({ name }))}
          >
            Remove
          </button>
        </div>
      )}
      {binding?.changed && binding.endpoint && !editing && (
        <EndpointNotice
          binding={binding}
          endpoint={binding.endpoint}
          what={what}
          busy={busy}
          onAllow={() => void allow(binding.endpoint!)}
          onReplace={() => setEditing(true)}
        />
      )}
      <p className="help">{help}</p>
      {error && <ErrorView error={error} compact onDismiss={() => setError(undefined)} />}
    </div>
  )
}

/** The secret is held back: it was entered for another endpoint (or for none) than the one now set. */
function EndpointNotice(props: {
  binding: SecretBinding
  endpoint: string
  what: string
  busy: boolean
  onAllow: () => void
  onReplace: () => void
}): React.JSX.Element {
  const now = endpointLabel(props.endpoint)
  return (
    <div className="notice warn" role="note" aria-label="Endpoint changed">
      <p>
        {props.binding.boundTo ? (
          <>
            Entered for <strong className="mono">{endpointLabel(props.binding.boundTo)}</strong> — the
            endpoint is now <strong className="mono">{now}</strong>.
          </>
        ) : (
          <>
            Stored before codex-sys recorded which endpoint it is for — the endpoint is now{' '}
            <strong className="mono">{now}</strong>.
          </>
        )}{' '}
        Your {props.what} is not sent there until you confirm. If you did not change the endpoint yourself,
        correct it instead: whoever set it would receive your {props.what}.
      </p>
      <div className="row">
        <button type="button" className="button" disabled={props.busy} onClick={props.onAllow}>
          Send my {props.what} to {now}
        </button>
        <button type="button" className="button ghost" disabled={props.busy} onClick={props.onReplace}>
          Replace the {props.what}
        </button>
      </div>
    </div>
  )
}
