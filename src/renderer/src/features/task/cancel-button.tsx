import { useEffect, useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'

/** Cancel with a small confirm: Cancel → "Stop this task?" Yes / Keep running (Esc keeps it running). */
export function CancelButton(props: { id: string; onError: (e: AppErrorData) => void }): React.JSX.Element {
  const { id, onError } = props
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const yes = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    if (!confirming) return
    yes.current?.focus()
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault()
        setConfirming(false)
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [confirming])

  const cancel = async (): Promise<void> => {
    setBusy(true)
    const result = await api['tasks.cancel']({ id })
    setBusy(false)
    setConfirming(false)
    if (!result.ok) onError(result.error)
  }

  if (!confirming)
    return (
      <button type="button" className="button" onClick={() => setConfirming(true)}>
        Cancel
      </button>
    )
  return (
    <span className="confirm" role="group" aria-label="Confirm cancel">
      <span className="confirm-text">Stop this task?</span>
      <button ref={yes} type="button" className="button danger" disabled={busy} onClick={() => void cancel()}>
        {busy ? 'Stopping…' : 'Yes, stop it'}
      </button>
      <button type="button" className="button ghost" onClick={() => setConfirming(false)}>
        Keep running <kbd>Esc</kbd>
      </button>
    </span>
  )
}
