import { configuredEngines } from '../../../../shared/engines'
import { useSettings } from '../../lib/settings'
import './engine-chip.css'

/**
 * The name of the engine a task runs on, worth showing only when Settings has more than one engine (this
 * computer and a remote one); an engine since removed from Settings is shown by its id.
 */
export function useEngineName(engine: string | undefined): string | undefined {
  const { settings } = useSettings()
  if (!engine || !settings || settings.engines.length === 0) return undefined
  return configuredEngines(settings).find((e) => e.id === engine)?.name ?? engine
}

/** "on Build box": where the task runs, in the task list's rows and the task's header. */
export function EngineChip({ engine }: { engine: string | undefined }): React.JSX.Element | null {
  const name = useEngineName(engine)
  if (!name) return null
  return (
    <span className="engine-chip" title={`Runs on the engine ${name}`}>
      on {name}
    </span>
  )
}
