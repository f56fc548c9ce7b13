import { useState } from 'react'
import { navigate } from '../../lib/route'
import { systemStore, useSystem } from '../../lib/system'
import { imageBuildStore, useImageBuild } from './image-build'
import { ProgressBar } from './image-panel'

/**
 * Above the page: Docker unreachable (after "Continue without Docker"), or the agent image missing (the
 * first task builds it, or build now), or the build's progress.
 */
export function ImageBanner(): React.JSX.Element | null {
  const { status } = useSystem()
  const build = useImageBuild()
  const [dismissed, setDismissed] = useState(false)
  if (!status) return null
  if (!status.docker.reachable) {
    return (
      <div className="banner error" role="status">
        <span>Docker is not reachable: tasks wait in the queue and start once it answers again.</span>
        <div className="banner-actions">
          <button type="button" className="button small" onClick={() => void systemStore().refresh()}>
            Check again
          </button>
        </div>
      </div>
    )
  }
  const building = build.building || status.image.building
  if (building) {
    return (
      <div className="banner info" role="status">
        <span>Building the agent image…</span>
        <ProgressBar ratio={build.ratio} label="Image build progress" />
      </div>
    )
  }
  if (status.image.present || dismissed) return null
  if (build.error) {
    return (
      <div className="banner error" role="alert">
        <span>The agent image did not build: {build.error.message}</span>
        <div className="banner-actions">
          <button type="button" className="button small" onClick={() => navigate({ page: 'settings' })}>
            Open Settings
          </button>
          <button type="button" className="button ghost small" onClick={() => setDismissed(true)}>
            Dismiss
          </button>
        </div>
      </div>
    )
  }
  return (
    <div className="banner warn" role="status">
      <span>
        The agent image isn’t built yet. The first task will build it (a few minutes, once), or build it now.
      </span>
      <div className="banner-actions">
        <button type="button" className="button small" onClick={() => void imageBuildStore().build()}>
          Build now
        </button>
        <button type="button" className="button ghost small" onClick={() => setDismissed(true)}>
          Dismiss
        </button>
      </div>
    </div>
  )
}
