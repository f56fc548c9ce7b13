import { useEffect } from 'react'
import { configuredEngines } from '../../../../shared/engines'
import type { Settings } from '../../../../shared/settings'
import { updateDraft, type Draft } from './draft'

/**
 * New task → Options → Engine: Automatic (whichever engine has a free slot first), or one enabled engine.
 * Shown only when Settings has remote engines; with this computer alone there is nothing to choose.
 */
export function EngineSelect({
  draft,
  settings,
}: {
  draft: Draft
  settings?: Settings
}): React.JSX.Element | null {
  const choices = settings?.engines.length ? configuredEngines(settings).filter((e) => e.enabled) : []
  // A choice since disabled or removed in Settings goes back to Automatic (and is sent as such).
  const value = choices.some((e) => e.id === draft.engine) ? draft.engine : ''
  useEffect(() => {
    if (settings && value !== draft.engine) updateDraft({ engine: '' })
  }, [settings, value, draft.engine])
  if (!settings?.engines.length) return null
  return (
    <div className="stack">
      <label className="sublabel" htmlFor="task-engine">
        Engine
      </label>
      <select
        id="task-engine"
        className="input"
        value={value}
        onChange={(e) => updateDraft({ engine: e.target.value })}
        aria-describedby="task-engine-help"
      >
        <option value="">Automatic</option>
        {choices.map((engine) => (
          <option key={engine.id} value={engine.id}>
            {engine.name}
          </option>
        ))}
      </select>
      <span className="help" id="task-engine-help">
        Where the task runs. Automatic: whichever engine has a free slot first.
      </span>
    </div>
  )
}
