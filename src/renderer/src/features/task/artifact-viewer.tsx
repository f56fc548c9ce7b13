import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState } from 'react'
import type { ArtifactName } from '../../../../shared/contract'
import type { AppErrorData } from '../../../../shared/errors'
import { api } from '../../lib/api'
import { formatBytes } from '../../lib/format'
import { ErrorView } from '../../lib/error-view'
import './artifact-viewer.css'

const LINE_PX = 18

type Loaded =
  { state: 'loading' } | { state: 'error'; error: AppErrorData } | { state: 'ok'; content: string | null }

function Lines({ text }: { text: string }): React.JSX.Element {
  const lines = useMemo(() => text.replace(/\n$/, '').split('\n'), [text])
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LINE_PX,
    overscan: 20,
  })
  const gutter = String(lines.length).length
  return (
    <div ref={scrollRef} className="artifact-lines" tabIndex={0} aria-label="Content">
      <div className="artifact-lines-inner" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div key={row.index} className="artifact-line" style={{ transform: `translateY(${row.start}px)` }}>
            <span className="artifact-ln" style={{ width: `${gutter + 1}ch` }}>
              {row.index + 1}
            </span>
            {lines[row.index]}
          </div>
        ))}
      </div>
    </div>
  )
}

/** A task's log or artifact in a modal: monospace, virtualized by line, so a large log opens at once. */
export function ArtifactViewer(props: {
  id: string
  name: ArtifactName
  onClose: () => void
}): React.JSX.Element {
  const { id, name, onClose } = props
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' })
  const closeRef = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    let live = true
    setLoaded({ state: 'loading' })
    void api['tasks.artifact']({ id, name }).then((result) => {
      if (!live) return
      setLoaded(
        result.ok ? { state: 'ok', content: result.value.content } : { state: 'error', error: result.error },
      )
    })
    return () => {
      live = false
    }
  }, [id, name])

  useEffect(() => {
    closeRef.current?.focus()
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') {
        e.preventDefault()
        onClose()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])

  const content = loaded.state === 'ok' ? loaded.content : null
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal artifact-modal" role="dialog" aria-modal="true" aria-label={name}>
        <div className="modal-head">
          <code className="modal-title">{name}</code>
          {content !== null && (
            <span className="muted">
              {content.split('\n').length.toLocaleString()} lines · {formatBytes(new Blob([content]).size)}
            </span>
          )}
          <button ref={closeRef} type="button" className="button ghost modal-close" onClick={onClose}>
            Close <kbd>Esc</kbd>
          </button>
        </div>
        {loaded.state === 'loading' && <div className="modal-empty muted">Loading…</div>}
        {loaded.state === 'error' && <ErrorView error={loaded.error} />}
        {loaded.state === 'ok' && content === null && (
          <div className="modal-empty muted">{name} has not been written for this task (yet).</div>
        )}
        {loaded.state === 'ok' && content !== null && content.length === 0 && (
          <div className="modal-empty muted">{name} is empty.</div>
        )}
        {content && <Lines text={content} />}
      </div>
    </div>
  )
}
