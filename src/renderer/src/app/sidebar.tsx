import { TaskList } from '../features/task-list/task-list'
import { GearIcon, PlusIcon } from '../lib/icons'
import { modLabel } from '../lib/keyboard'
import { navigate, type Route } from '../lib/route'
import { useSystem } from '../lib/system'

function DockerIndicator(): React.JSX.Element {
  const { status } = useSystem()
  const docker = status?.docker
  const tone = !docker ? 'muted' : docker.reachable ? 'ok' : 'error'
  const text = !docker
    ? 'Docker…'
    : docker.reachable
      ? `Docker ${docker.version ?? ''}`.trim()
      : 'Docker not reachable'
  return (
    <button
      type="button"
      className="sidebar-status"
      onClick={() => navigate({ page: 'settings' })}
      title="Docker status (Settings)"
    >
      <span className={`dot ${tone}`} aria-hidden="true" />
      {text}
    </button>
  )
}

/** Left column: brand, "New task", the task list, and Docker status + Settings at the bottom. */
export function Sidebar({ route }: { route: Route }): React.JSX.Element {
  const selectedId = route.page === 'task' || route.page === 'review' ? route.id : undefined
  return (
    <aside className="sidebar" aria-label="Tasks">
      <div className="sidebar-head">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true">
            ›_
          </span>
          codex-sys
        </span>
        <button
          type="button"
          className={route.page === 'new' ? 'button primary small active' : 'button primary small'}
          onClick={() => navigate({ page: 'new' })}
          title={`New task (${modLabel('N')})`}
          aria-keyshortcuts={modLabel('N')}
        >
          <PlusIcon size={14} />
          New task
        </button>
      </div>
      <TaskList selectedId={selectedId} />
      <div className="sidebar-foot">
        <DockerIndicator />
        <button
          type="button"
          className={route.page === 'settings' ? 'icon-button active' : 'icon-button'}
          onClick={() => navigate({ page: 'settings' })}
          title={`Settings (${modLabel(',')})`}
          aria-label="Settings"
          aria-current={route.page === 'settings' ? 'page' : undefined}
        >
          <GearIcon />
        </button>
      </div>
    </aside>
  )
}
