import { ReviewPage } from '../features/review/review-page'
import { NewTaskPage } from '../features/new-task/new-task-page'
import { SettingsPage } from '../features/settings/settings-page'
import { DockerGate } from '../features/system/docker-gate'
import { ImageBanner } from '../features/system/image-banner'
import { TaskPage } from '../features/task/task-page'
import { FOCUS_IDS } from '../lib/keyboard'
import { useRoute, type Route } from '../lib/route'
import { useSettings } from '../lib/settings'
import { DropOverlay } from './drop-overlay'
import { useGlobalShortcuts } from './shortcuts'
import { Sidebar } from './sidebar'
import { useTheme } from './theme'

function Page({ route }: { route: Route }): React.JSX.Element {
  switch (route.page) {
    case 'new':
      return <NewTaskPage />
    case 'task':
      return <TaskPage key={route.id} id={route.id} />
    case 'review':
      return <ReviewPage key={route.id} id={route.id} />
    case 'settings':
      return <SettingsPage />
  }
}

/** The window: the Docker check first, then the task sidebar and the page of the current route. */
export function App(): React.JSX.Element {
  const { settings } = useSettings()
  useTheme(settings?.theme)
  return (
    <DockerGate>
      <Shell />
    </DockerGate>
  )
}

function Shell(): React.JSX.Element {
  const route = useRoute()
  useGlobalShortcuts()
  return (
    <div className="shell">
      <Sidebar route={route} />
      <main className="main" id={FOCUS_IDS.main} tabIndex={-1}>
        <ImageBanner />
        <Page route={route} />
      </main>
      <DropOverlay />
    </div>
  )
}
