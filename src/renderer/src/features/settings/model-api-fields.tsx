import { resolveModelApi, type Settings } from '../../../../shared/settings'
import { REASONING_EFFORTS } from '../../../../shared/task'
import { Field } from './fields'
import type { FormField, SettingsForm } from './settings-form'

interface Props {
  form: SettingsForm
  set: (field: FormField, value: string | boolean) => void
  errors: Partial<Record<FormField, string>>
}

/** What `auto` means for the base URL being typed: which API the built-in agent will speak. */
export function autoApiLabel(baseUrl: string): string {
  const { api } = resolveModelApi({ modelApi: 'auto', baseUrl: baseUrl.trim() || undefined })
  return api === 'responses'
    ? 'auto: Responses API (api.openai.com)'
    : 'auto: Chat Completions (other server)'
}

/** The built-in agent's wire API, reasoning effort and stream idle timeout. */
export function ModelApiFields({ form, set, errors }: Props): React.JSX.Element {
  const resolved = resolveModelApi({
    modelApi: form.modelApi as Settings['modelApi'],
    baseUrl: form.baseUrl.trim() || undefined,
  })
  const inUse = resolved.api === 'responses' ? 'Responses API' : 'Chat Completions'
  return (
    <div className="grid-2">
      <label className="stack">
        <span className="sublabel">Model API</span>
        <select
          className="input"
          value={form.modelApi}
          onChange={(e) => set('modelApi', e.target.value)}
          aria-describedby="settings-model-api-help"
        >
          <option value="auto">{autoApiLabel(form.baseUrl)}</option>
          <option value="responses">Responses API</option>
          <option value="chat">Chat Completions</option>
        </select>
        <span className="help" id="settings-model-api-help" data-testid="model-api-in-use">
          The built-in agent uses the {inUse} for this endpoint. Ollama, vLLM and LM Studio speak Chat
          Completions.
        </span>
      </label>
      <label className="stack">
        <span className="sublabel">Reasoning effort</span>
        <select
          className="input"
          value={form.reasoningEffort}
          onChange={(e) => set('reasoningEffort', e.target.value)}
          aria-describedby="settings-effort-help"
        >
          <option value="">The model’s default</option>
          {REASONING_EFFORTS.map((effort) => (
            <option key={effort} value={effort}>
              {effort}
            </option>
          ))}
        </select>
        <span className="help" id="settings-effort-help">
          For reasoning models; a task may choose its own.
        </span>
      </label>
      <Field
        form={form}
        onChange={set}
        field="streamIdleSeconds"
        label="Stream idle timeout"
        unit="s"
        min={1}
        max={3600}
        help="A reply that sends nothing for this long is cut off and retried."
        error={errors.streamIdleSeconds}
      />
    </div>
  )
}
