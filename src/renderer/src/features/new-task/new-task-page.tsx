import { useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import { api, isDesktop } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { FOCUS_IDS, isMod, modLabel } from '../../lib/keyboard'
import { navigate } from '../../lib/route'
import { useSettings } from '../../lib/settings'
import { taskListStore } from '../../lib/tasks'
import { resetDraftAfterSubmit, updateDraft, useDraft } from './draft'
import { SourceChooser } from './source-chooser'
import { TaskOptions } from './task-options'
import { buildSubmitInput } from './validate'

type Touched = Partial<Record<'source' | 'gitBranch' | 'prompt', boolean>>

/** Pick the code, describe the task, start it (Ctrl/Cmd+Enter); then the task page shows its progress. */
export function NewTaskPage(): React.JSX.Element {
  const draft = useDraft()
  const { settings } = useSettings()
  const [touched, setTouched] = useState<Touched>({})
  const [attempted, setAttempted] = useState(false)
  const [submitting, setSubmitting] = useState(false)
  const [error, setError] = useState<AppErrorData>()

  const opts = { desktop: isDesktop, allowLocalHttp: settings?.allowLocalHttpGit ?? false }
  const { errors } = buildSubmitInput(draft, opts)
  const shown = (field: keyof Touched): boolean => attempted || Boolean(touched[field])
  // A field checks itself when left, unless focus went to "Start task": an error appearing then would
  // move the button away from under the pointer before the click lands (the submit checks everything).
  const touch = (field: keyof Touched): void => {
    setTimeout(() => {
      if (document.activeElement?.getAttribute('type') !== 'submit')
        setTouched((t) => ({ ...t, [field]: true }))
    }, 0)
  }

  const submit = async (): Promise<void> => {
    if (submitting) return
    setAttempted(true)
    const built = buildSubmitInput(draft, opts)
    if (!built.input) {
      const first = built.errors.prompt && !built.errors.source ? FOCUS_IDS.prompt : undefined
      if (first) document.getElementById(first)?.focus()
      return
    }
    setSubmitting(true)
    setError(undefined)
    const result = await settle(() => api['tasks.submit'](built.input!))
    setSubmitting(false)
    if (!result.ok) {
      setError(result.error)
      return
    }
    taskListStore().put([result.value])
    resetDraftAfterSubmit()
    setAttempted(false)
    setTouched({})
    navigate({ page: 'task', id: result.value.id })
  }

  const onKeyDown = (event: React.KeyboardEvent): void => {
    if (event.key === 'Enter' && isMod(event)) {
      event.preventDefault()
      void submit()
    }
  }

  return (
    <div className="page narrow">
      <header className="page-header">
        <h1>New task</h1>
        <p className="muted">
          The agent works on a private copy inside a sandbox. Nothing in your code changes until you approve.
        </p>
      </header>
      <form
        className="form"
        noValidate
        onKeyDown={onKeyDown}
        onSubmit={(e) => {
          e.preventDefault()
          void submit()
        }}
      >
        <SourceChooser
          draft={draft}
          error={shown('source') ? errors.source : undefined}
          branchError={shown('gitBranch') ? errors.gitBranch : undefined}
          onBlur={touch}
        />
        <div className="field">
          <label className="label" htmlFor={FOCUS_IDS.prompt}>
            Task
          </label>
          <textarea
            id={FOCUS_IDS.prompt}
            className="input prompt"
            rows={7}
            placeholder="Describe the change, e.g. “Add input validation to the signup form and cover it with tests.”"
            value={draft.prompt}
            onChange={(e) => updateDraft({ prompt: e.target.value })}
            onBlur={() => draft.prompt && touch('prompt')}
            aria-invalid={shown('prompt') && Boolean(errors.prompt)}
            aria-describedby="prompt-error"
          />
          {shown('prompt') && errors.prompt && (
            <p className="field-error" id="prompt-error" role="alert">
              {errors.prompt}
            </p>
          )}
        </div>
        <TaskOptions draft={draft} settings={settings} errors={attempted ? errors : {}} />
        {error && (
          <ErrorView error={error} onRetry={() => void submit()} onDismiss={() => setError(undefined)} />
        )}
        <div className="form-footer">
          <span className="muted small">
            <kbd>{modLabel('Enter')}</kbd> to start
          </span>
          <button type="submit" className="button primary" disabled={submitting}>
            {submitting ? 'Starting…' : 'Start task'}
          </button>
        </div>
      </form>
    </div>
  )
}
