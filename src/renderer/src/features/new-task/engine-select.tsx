import { useEffect } from 'react'
import { configuredEngines } from '../../../../shared/engines'
import type { Settings } from '../../../../shared/settings'
import { SelectField } from '../../lib/select-field'
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
  const options = [{ value: '', label: 'Automatic' }, ...choices.map((e) => ({ value: e.id, label: e.name }))]
  return (
    <SelectField
      id="task-engine"
      label="Engine"
      value={value}
      options={options}
      onChange={(engine) => updateDraft({ engine })}
      help="Where the task runs. Automatic: whichever engine has a free slot first."
    />
  )
}
