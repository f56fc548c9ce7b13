import { useEffect, useState } from 'react'
import { isDesktop } from '../lib/api'
import { ArchiveIcon } from '../lib/icons'
import { navigate } from '../lib/route'
import { takeDrop } from '../features/new-task/take-file'

const hasFiles = (event: DragEvent): boolean => Array.from(event.dataTransfer?.types ?? []).includes('Files')

/**
 * The whole window is a drop target for a .zip (or, in the desktop app, a folder): an overlay shows while
 * files are dragged over it; the drop becomes the new task's source.
 */
export function DropOverlay(): React.JSX.Element | null {
  const [active, setActive] = useState(false)
  useEffect(() => {
    let depth = 0
    const enter = (event: DragEvent): void => {
      if (!hasFiles(event)) return
      event.preventDefault()
      depth++
      setActive(true)
    }
    const leave = (event: DragEvent): void => {
      if (!hasFiles(event)) return
      depth = Math.max(0, depth - 1)
      if (depth === 0) setActive(false)
    }
    const over = (event: DragEvent): void => {
      if (!hasFiles(event)) return
      event.preventDefault()
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy'
    }
    const drop = (event: DragEvent): void => {
      if (!hasFiles(event) || !event.dataTransfer) return
      event.preventDefault()
      depth = 0
      setActive(false)
      navigate({ page: 'new' })
      void takeDrop(event.dataTransfer)
    }
    window.addEventListener('dragenter', enter)
    window.addEventListener('dragleave', leave)
    window.addEventListener('dragover', over)
    window.addEventListener('drop', drop)
    return () => {
      window.removeEventListener('dragenter', enter)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('dragover', over)
      window.removeEventListener('drop', drop)
    }
  }, [])
  if (!active) return null
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-overlay-card">
        <ArchiveIcon size={40} />
        <strong>Drop to start a new task</strong>
        <span>{isDesktop ? 'A .zip file or a folder' : 'A .zip file'}</span>
      </div>
    </div>
  )
}
