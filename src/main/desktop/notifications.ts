import type { TaskRecord, TaskStatus } from '../../shared/task'
import type { TaskEngine } from '../engine/task-engine'

export interface TaskNotice {
  title: string
  body: string
}

/** The notice for a task that just settled, or none: only review and failure are worth interrupting for. */
export function noticeFor(task: TaskRecord): TaskNotice | undefined {
  const name = truncate(task.title || task.prompt, 120)
  if (task.status === 'review') return { title: 'Ready for review', body: name }
  if (task.status === 'failed') {
    const reason = task.error?.message ? `: ${truncate(task.error.message, 160)}` : ''
    return { title: 'Task failed', body: `${name}${reason}` }
  }
  return undefined
}

/**
 * Shows a notice when a task moves to review or failed while the window is in the background. A click is
 * passed the task's id (to focus the window on it). Returns the unsubscribe function.
 */
export function notifyWhenSettled(deps: {
  engine: Pick<TaskEngine, 'subscribeRecords' | 'list'>
  isFocused: () => boolean
  notify: (notice: TaskNotice, onClick: () => void) => void
  onClick: (taskId: string) => void
}): () => void {
  const last = new Map<string, TaskStatus>(deps.engine.list().map((task) => [task.id, task.status]))
  return deps.engine.subscribeRecords((task) => {
    const before = last.get(task.id)
    last.set(task.id, task.status)
    if (before === undefined || before === task.status || deps.isFocused()) return
    const notice = noticeFor(task)
    if (notice) deps.notify(notice, () => deps.onClick(task.id))
  })
}

/** What `notify` needs of Electron's Notification class. */
export interface NotificationLike {
  on(event: 'click' | 'close', listener: () => void): unknown
  show(): void
}

/**
 * Shows a desktop notification with Electron's Notification class, keeping a reference until it is clicked
 * or closed (an unreferenced notification can be collected and lose its click handler).
 */
export function desktopNotifier(
  create: (notice: TaskNotice) => NotificationLike | undefined,
): (notice: TaskNotice, onClick: () => void) => void {
  const live = new Set<NotificationLike>()
  return (notice, onClick) => {
    const notification = create(notice)
    if (!notification) return
    live.add(notification)
    notification.on('click', () => {
      live.delete(notification)
      onClick()
    })
    notification.on('close', () => live.delete(notification))
    notification.show()
  }
}

function truncate(text: string, max: number): string {
  const line = text.split('\n')[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
