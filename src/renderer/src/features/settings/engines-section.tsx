import { useRef, useState } from 'react'
import { configuredEngines, type WorkspaceMode } from '../../../../shared/engines'
import type { AppErrorData } from '../../../../shared/errors'
import type { Settings, SettingsPatch } from '../../../../shared/settings'
import { ErrorView } from '../../lib/error-view'
import { settingsStore } from '../../lib/settings'
import { draftOfEngine, emptyEngineDraft, type EngineDraft } from './engine-draft'
import { EngineEditor } from './engine-editor'
import { EngineRow } from './engine-row'
import { useEngineStatuses } from './use-engine-statuses'
import './engines.css'

interface Editing {
  /** The engine edited; `settings.engines.length` adds one. */
  index: number
  initial: EngineDraft
}

/** One settings change made from this section (a remove, the workspace mode), its error, then a re-check. */
function useEngineChange(refresh: () => Promise<void>) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<AppErrorData>()
  const change = async (patch: SettingsPatch): Promise<void> => {
    setBusy(true)
    setError(undefined)
    const result = await settingsStore().update(patch)
    setBusy(false)
    if (!result.ok) setError(result.error)
    await refresh()
  }
  return { busy, error, dismiss: () => setError(undefined), change }
}

/**
 * Settings → Engines: every engine tasks may run on (this computer first) with whether it answers and its
 * load, asked again every few seconds while on screen; Add / Edit / Remove for remote ones, saved at once.
 */
export function EnginesSection({ settings }: { settings: Settings }): React.JSX.Element {
  const self = useRef<HTMLDivElement>(null)
  const { statuses, error: checkError, checking, refresh } = useEngineStatuses(self)
  const [editing, setEditing] = useState<Editing>()
  const { busy, error, dismiss, change } = useEngineChange(refresh)
  const engines = configuredEngines(settings)
  const remotes = settings.engines
  const done = (saved: boolean): void => {
    setEditing(undefined)
    if (saved) void refresh()
  }
  return (
    <div className="engines-section" ref={self}>
      <ul className="engine-list" aria-label="Engines">
        {engines.map((engine, i) => (
          <EngineRow
            key={engine.id}
            engine={engine}
            status={statuses?.find((s) => s.id === engine.id)}
            workspace={settings.docker.workspace}
            busy={busy}
            onWorkspace={(workspace: WorkspaceMode) => void change({ docker: { workspace } })}
            onEdit={() => setEditing({ index: i - 1, initial: draftOfEngine(remotes[i - 1]!) })}
            onRemove={() => void change({ engines: remotes.filter((e) => e.id !== engine.id) })}
          />
        ))}
      </ul>
      {error && <ErrorView error={error} compact onDismiss={dismiss} />}
      {checkError && <ErrorView error={checkError} compact />}
      {editing && (
        <EngineEditor
          key={editing.index}
          engines={remotes}
          index={editing.index}
          initial={editing.initial}
          onDone={done}
        />
      )}
      <div className="row">
        {!editing && (
          <button
            type="button"
            className="button"
            onClick={() => setEditing({ index: remotes.length, initial: emptyEngineDraft() })}
          >
            Add engine
          </button>
        )}
        <button type="button" className="button ghost" disabled={checking} onClick={() => void refresh()}>
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </div>
    </div>
  )
}
