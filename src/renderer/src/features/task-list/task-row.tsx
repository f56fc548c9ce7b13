import { memo } from 'react'
import type { TaskRecord } from '../../../../shared/task'
import { relativeTime, sourceLabel, sourceText } from '../../lib/format'
import { ArchiveIcon, FolderIcon, GitIcon } from '../../lib/icons'
import { EngineChip } from './engine-chip'
import { StatusBadge } from './status-badge'

export const ROW_HEIGHT = 60

const SOURCE_ICONS = { folder: FolderIcon, zip: ArchiveIcon, git: GitIcon } as const

interface Props {
  task: TaskRecord
  selected: boolean
  now: number
  top: number
  onOpen: (id: string) => void
}

export const taskOptionId = (id: string): string => `task-option-${id}`

/** One task in the sidebar: title, status, where the code came from, and when. */
export const TaskRow = memo(function TaskRow({ task, selected, now, top, onOpen }: Props): React.JSX.Element {
  const Icon = SOURCE_ICONS[task.source.kind]
  return (
    <div
      id={taskOptionId(task.id)}
      role="option"
      aria-selected={selected}
      className={selected ? 'task-row selected' : 'task-row'}
      style={{ transform: `translateY(${top}px)`, height: ROW_HEIGHT }}
      onClick={() => onOpen(task.id)}
      title={task.prompt.length > 300 ? `${task.prompt.slice(0, 300)}…` : task.prompt}
    >
      <div className="task-row-top">
        <span className="task-row-title">{task.title || task.prompt}</span>
        <time className="task-row-time" dateTime={task.createdAt}>
          {relativeTime(task.createdAt, now)}
        </time>
      </div>
      <div className="task-row-bottom">
        <span className="task-row-source" title={sourceText(task.source)}>
          <Icon size={12} />
          <span className="ellipsis">{sourceLabel(task.source)}</span>
        </span>
        <EngineChip engine={task.engine} />
        <StatusBadge status={task.status} short noChanges={task.diff?.files === 0} />
      </div>
    </div>
  )
})
