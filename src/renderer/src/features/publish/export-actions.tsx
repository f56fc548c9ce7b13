import { useRef, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api, isDesktop } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { formatBytes } from '../../lib/format'
import { usePublish } from './use-publish'

type Format = 'patch' | 'zip'
const FILE_NAMES = { patch: 'export.patch', zip: 'export.zip' } as const
const LABELS = { patch: 'Export .patch', zip: 'Save ZIP' } as const

type Done = { format: Format; bytes: number; savedTo?: string; cancelled?: boolean }

/**
 * "Export .patch" and "Save ZIP": the engine writes the export, then the desktop app asks where to save it;
 * a browser gets a download link. `primary` makes one of them the main action (ZIP sources).
 */
export function ExportActions(props: {
  id: string
  disabled: boolean
  primary?: Format
  desktop?: boolean
}): React.JSX.Element {
  const { id, disabled, primary, desktop = isDesktop } = props
  const p = usePublish()
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<AppErrorData>()
  const [done, setDone] = useState<Done>()
  const busy = useRef(false)

  const start = async (format: Format): Promise<void> => {
    if (busy.current || disabled) return
    busy.current = true
    setDone(undefined)
    setSaveError(undefined)
    const outcome = await p.run({ kind: 'export', id, format })
    if (outcome?.kind === 'exported') {
      if (!desktop) setDone({ format, bytes: outcome.bytes })
      else {
        setSaving(true)
        const saved = await settle(() => api['dialog.saveExport']({ id, format }))
        setSaving(false)
        if (!saved.ok) setSaveError(saved.error)
        else
          setDone({
            format,
            bytes: outcome.bytes,
            savedTo: saved.value ?? undefined,
            cancelled: !saved.value,
          })
      }
    }
    busy.current = false
  }

  const order: Format[] = primary === 'zip' ? ['zip', 'patch'] : ['patch', 'zip']
  const working = p.busy || saving
  return (
    <div className="publish-export">
      <div className="publish-actions">
        {order.map((format) => (
          <button
            key={format}
            type="button"
            className={format === primary ? 'button primary' : 'button'}
            disabled={disabled || working}
            onClick={() => void start(format)}
          >
            {LABELS[format]}
          </button>
        ))}
      </div>
      {working && (
        <span className="muted small" role="status">
          <span className="spinner" aria-hidden="true" /> {saving ? 'Choose where to save…' : 'Preparing…'}
        </span>
      )}
      {done && <ExportDone id={id} done={done} />}
      {p.error && <ErrorView error={p.error} compact onDismiss={p.clearError} />}
      {saveError && <ErrorView error={saveError} compact onDismiss={() => setSaveError(undefined)} />}
    </div>
  )
}

function ExportDone({ id, done }: { id: string; done: Done }): React.JSX.Element {
  const name = FILE_NAMES[done.format]
  const size = formatBytes(done.bytes)
  if (done.savedTo)
    return (
      <p className="publish-done small" role="status">
        Saved {name} ({size}) to <span className="mono">{done.savedTo}</span>
      </p>
    )
  if (done.cancelled)
    return (
      <p className="muted small" role="status">
        {name} is ready ({size}); not saved.
      </p>
    )
  return (
    <p className="publish-done small" role="status">
      <a href={`/api/logs/${encodeURIComponent(id)}/${name}`} download={name}>
        Download {name}
      </a>{' '}
      <span className="muted">({size})</span>
    </p>
  )
}
