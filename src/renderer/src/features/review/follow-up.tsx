import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { isMod, modLabel } from '../../lib/keyboard'
import { navigate } from '../../lib/route'

/** Another instruction for the same workspace: a new turn, then back to the task page to watch it. */
export function FollowUp(props: { id: string; disabled: boolean }): React.JSX.Element {
  const { id, disabled } = props
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<AppErrorData | null>(null)
  const canSend = !disabled && !busy && text.trim().length > 0

  const send = async (): Promise<void> => {
    if (!canSend) return
    setBusy(true)
    setError(null)
    const result = await settle(() => api['tasks.followUp']({ id, prompt: text.trim() }))
    setBusy(false)
    if (!result.ok) return setError(result.error)
    setText('')
    navigate({ page: 'task', id })
  }

  return (
    <form
      className="follow-up"
      onSubmit={(e) => {
        e.preventDefault()
        void send()
      }}
    >
      <label className="follow-up-label" htmlFor="follow-up-text">
        Follow-up
      </label>
      <textarea
        id="follow-up-text"
        className="input follow-up-text"
        rows={3}
        placeholder="Also handle the empty string…"
        value={text}
        disabled={disabled || busy}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && isMod(e)) {
            e.preventDefault()
            void send()
          }
        }}
      />
      {error && <ErrorView error={error} compact onDismiss={() => setError(null)} />}
      <div className="follow-up-foot">
        <span className="muted">
          {disabled ? 'Available when the task is in review' : 'Runs another turn on the same workspace'}
        </span>
        <button type="submit" className="button primary" disabled={!canSend}>
          {busy ? 'Sending…' : 'Send'} <kbd>{modLabel('↵')}</kbd>
        </button>
      </div>
    </form>
  )
}
