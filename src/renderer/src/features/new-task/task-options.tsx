import { NETWORK_PHASES, type NetworkPhase } from '../../../../shared/network'
import { defaultSettings, type Settings } from '../../../../shared/settings'
import { REASONING_EFFORTS, type AgentRuntime, type ReasoningEffort } from '../../../../shared/task'
import { ChevronIcon } from '../../lib/icons'
import { toPhaseDraft } from '../../lib/network'
import { PhaseNetworkFields } from '../../lib/network-fields'
import { navigate } from '../../lib/route'
import { updateDraft, type Draft } from './draft'
import { EngineSelect } from './engine-select'
import type { DraftErrors } from './validate'

interface Props {
  draft: Draft
  settings?: Settings
  errors: DraftErrors
}

const PHASE_LABELS: Record<NetworkPhase, string> = { setup: 'Setup network', agent: 'Agent network' }

/** Each phase's network for this task: Settings' default until the user changes it here. */
function TaskNetwork({ draft, settings, errors }: Props): React.JSX.Element {
  const defaults = (settings ?? defaultSettings()).network
  return (
    <fieldset className="span-2 field network-options">
      <legend className="sublabel">Network</legend>
      <div className="grid-2">
        {NETWORK_PHASES.map((phase) => {
          const chosen = draft.network[phase]
          const value = chosen ?? toPhaseDraft(defaults[phase])
          const cloneHost =
            phase === 'setup' && value.mode === 'registries' && draft.tab === 'git'
              ? ' Also the host the repository is cloned from.'
              : ''
          return (
            <PhaseNetworkFields
              key={phase}
              id={`task-${phase}-network`}
              label={PHASE_LABELS[phase]}
              value={value}
              onChange={(next) => updateDraft({ network: { ...draft.network, [phase]: next } })}
              error={phase === 'setup' ? errors.setupNetwork : errors.agentNetwork}
              note={
                <>
                  {cloneHost}{' '}
                  {chosen ? (
                    <button
                      type="button"
                      className="link"
                      onClick={() => {
                        const rest = { ...draft.network }
                        delete rest[phase]
                        updateDraft({ network: rest })
                      }}
                    >
                      Use the default
                    </button>
                  ) : (
                    <span>The default from Settings.</span>
                  )}
                </>
              }
            />
          )
        })}
      </div>
      <div className="setting-note">
        <span>Each request the sandbox may not make is shown in the timeline, where you can allow it.</span>
        <button type="button" className="link" onClick={() => navigate({ page: 'settings' })}>
          Change the defaults in Settings
        </button>
      </div>
    </fieldset>
  )
}

const RUNTIME_NAMES: Record<AgentRuntime, string> = { builtin: 'Built-in agent', codex: 'Codex CLI' }
const runtimeName = (runtime: AgentRuntime): string => RUNTIME_NAMES[runtime]
const runtimeOf = (value: string): Draft['runtime'] => (value === 'builtin' || value === 'codex' ? value : '')
const effortOf = (value: string): Draft['reasoningEffort'] =>
  REASONING_EFFORTS.includes(value as ReasoningEffort) ? (value as ReasoningEffort) : ''

/** Optional per-task settings: title, focus files, model, time limit, setup script, network per phase. */
export function TaskOptions({ draft, settings, errors }: Props): React.JSX.Element {
  const open = draft.optionsOpen
  const defaultMinutes = settings ? Math.round(settings.limits.timeLimitMs / 60_000) : undefined
  return (
    <div className="options">
      <button
        type="button"
        className="disclosure"
        aria-expanded={open}
        aria-controls="task-options"
        onClick={() => updateDraft({ optionsOpen: !open })}
      >
        <ChevronIcon size={14} className="disclosure-chevron" />
        Options
        {!open && (
          <span className="muted small">
            title, focus files, runtime, model, effort, time limit, setup, network
          </span>
        )}
      </button>
      {open && (
        <div className="options-grid" id="task-options">
          <div className="stack span-2">
            <label className="stack">
              <span className="sublabel">Title</span>
              <input
                className="input"
                placeholder="From the description when empty"
                value={draft.title}
                maxLength={200}
                onChange={(e) => updateDraft({ title: e.target.value })}
              />
            </label>
            {errors.title && <span className="field-error">{errors.title}</span>}
          </div>
          <div className="stack span-2">
            <label className="sublabel" htmlFor="task-focus-files">
              Focus files
            </label>
            <textarea
              id="task-focus-files"
              className="input mono"
              rows={2}
              placeholder="src/signup.ts, src/validation/"
              value={draft.focusFiles}
              onChange={(e) => updateDraft({ focusFiles: e.target.value })}
              aria-describedby="task-focus-files-help"
              spellCheck={false}
            />
            <span className="help" id="task-focus-files-help">
              Comma or newline separated paths the agent should look at first.
            </span>
            {errors.focusFiles && <span className="field-error">{errors.focusFiles}</span>}
          </div>
          <label className="stack">
            <span className="sublabel">Agent runtime</span>
            <select
              className="input"
              value={draft.runtime}
              onChange={(e) => updateDraft({ runtime: runtimeOf(e.target.value) })}
            >
              <option value="">Default ({runtimeName(settings?.runtime ?? 'builtin')})</option>
              <option value="builtin">{runtimeName('builtin')}</option>
              <option value="codex">{runtimeName('codex')}</option>
            </select>
          </label>
          <label className="stack">
            <span className="sublabel">Model</span>
            <input
              className="input mono"
              placeholder={settings?.model ?? 'default'}
              value={draft.model}
              onChange={(e) => updateDraft({ model: e.target.value })}
              spellCheck={false}
            />
          </label>
          <label className="stack">
            <span className="sublabel">Reasoning effort</span>
            <select
              className="input"
              value={draft.reasoningEffort}
              onChange={(e) => updateDraft({ reasoningEffort: effortOf(e.target.value) })}
            >
              <option value="">Default ({settings?.reasoningEffort ?? 'the model’s'})</option>
              {REASONING_EFFORTS.map((effort) => (
                <option key={effort} value={effort}>
                  {effort}
                </option>
              ))}
            </select>
          </label>
          <EngineSelect draft={draft} settings={settings} />
          <label className="row">
            <input
              type="checkbox"
              checked={draft.refreshSetup}
              onChange={(e) => updateDraft({ refreshSetup: e.target.checked })}
            />
            <span>Run setup again (ignore the setup cache)</span>
          </label>
          <div className="stack">
            <label className="stack">
              <span className="sublabel">Time limit (minutes)</span>
              <input
                className="input"
                type="number"
                min={1}
                max={1440}
                placeholder={defaultMinutes === undefined ? 'default' : String(defaultMinutes)}
                value={draft.timeLimitMin}
                onChange={(e) => updateDraft({ timeLimitMin: e.target.value })}
                aria-invalid={Boolean(errors.timeLimit)}
              />
            </label>
            {errors.timeLimit && <span className="field-error">{errors.timeLimit}</span>}
          </div>
          <label className="stack span-2">
            <span className="sublabel">Setup script</span>
            <textarea
              className="input mono"
              rows={3}
              placeholder="npm ci   (runs before the agent; replaces the repository’s setup.sh)"
              value={draft.setupScript}
              onChange={(e) => updateDraft({ setupScript: e.target.value })}
              spellCheck={false}
            />
          </label>
          <TaskNetwork draft={draft} settings={settings} errors={errors} />
        </div>
      )}
    </div>
  )
}
