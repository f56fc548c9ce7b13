import { useEffect, useState } from 'react'
import type { AppErrorData } from '../../../../shared/errors'
import type { SecretsStatus } from '../../../../shared/system'
import { api } from '../../lib/api'
import { ErrorView } from '../../lib/error-view'
import { settle } from '../../lib/errors'
import { isMod, modLabel } from '../../lib/keyboard'
import { settingsStore, useSettings } from '../../lib/settings'
import { ImagePanel } from '../system/image-panel'
import { DockerSection } from './docker-section'
import { EnginesSection } from './engines-section'
import { Field, Section } from './fields'
import { GitHubStatusView } from './github-status'
import { ModelApiFields } from './model-api-fields'
import { SetupCachePanel } from './setup-cache-panel'
import { NetworkSection } from './network-section'
import { SecretField } from './secret-field'
import { ThemePicker } from './theme-picker'
import { useSettingsForm } from './use-settings-form'

/**
 * The secrets' status, asked again whenever the saved endpoints change (here or elsewhere): a secret entered
 * for another endpoint then shows that it is held back.
 */
function useSecretsStatus(
  endpoints: string,
): [SecretsStatus | undefined, (s: SecretsStatus) => void, AppErrorData | undefined] {
  const [status, setStatus] = useState<SecretsStatus>()
  const [error, setError] = useState<AppErrorData>()
  useEffect(() => {
    let live = true
    void settle(() => api['secrets.status']({})).then((r) => {
      if (!live) return
      if (r.ok) {
        setStatus(r.value)
        setError(undefined)
      } else setError(r.error)
    })
    return () => {
      live = false
    }
  }, [endpoints])
  return [status, setStatus, error]
}

/** Model and credentials, Docker and the agent image, limits, sandbox, network, appearance. */
export function SettingsPage(): React.JSX.Element {
  const { settings, error: loadError } = useSettings()
  const f = useSettingsForm(settings)
  const [secrets, setSecrets, secretsError] = useSecretsStatus(
    `${settings?.baseUrl ?? ''} ${settings?.githubApiUrl ?? ''}`,
  )
  const github = secrets?.bindings?.github

  if (!settings || !f.form) {
    return (
      <div className="page narrow">
        <h1>Settings</h1>
        {loadError ? (
          <ErrorView error={loadError} onRetry={() => void settingsStore().reload()} />
        ) : (
          <p className="muted">Loading…</p>
        )}
      </div>
    )
  }
  const common = { form: f.form, onChange: f.set }
  return (
    <form
      className="page narrow settings"
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        void f.save()
      }}
      onKeyDown={(e) => {
        if (e.key === 's' && isMod(e)) {
          e.preventDefault()
          void f.save()
        }
      }}
    >
      <header className="page-header">
        <h1>Settings</h1>
      </header>

      <Section
        id="model"
        title="Model"
        description="Any OpenAI-compatible endpoint. Calls are made by the app, never from the sandbox."
      >
        <div className="grid-2">
          <Field {...common} field="model" label="Model" type="text" mono error={f.errors.model} />
          <label className="stack">
            <span className="sublabel">Agent runtime</span>
            <select
              className="input"
              value={f.form.runtime}
              onChange={(e) => f.set('runtime', e.target.value)}
              aria-describedby="settings-runtime-help"
            >
              <option value="builtin">Built-in agent</option>
              <option value="codex">Codex CLI (in the sandbox)</option>
            </select>
            <span className="help" id="settings-runtime-help">
              New tasks’ default. Codex runs in the sandbox; its model calls go through the app’s model proxy,
              which keeps the key and the budget. It needs an endpoint with the Responses API.
            </span>
          </label>
          <Field
            {...common}
            field="baseUrl"
            label="Base URL"
            type="url"
            mono
            placeholder="https://api.openai.com/v1"
            help="Empty: OpenAI."
            error={f.errors.baseUrl}
          />
        </div>
        <ModelApiFields form={f.form} set={f.set} errors={f.errors} />
        {secrets?.backend === 'session' && (
          <p className="notice warn" role="note">
            No system keychain is available, so keys are kept for this session only and asked for again after
            a restart. {secrets.keychainProblem}
          </p>
        )}
        {secretsError && <ErrorView error={secretsError} compact />}
        <SecretField
          name="openai"
          label="API key"
          placeholder="sk-…"
          help="Write-only: stored in the OS keychain and never shown again."
          status={secrets}
          onStatus={setSecrets}
        />
      </Section>

      <Section
        id="github"
        title="GitHub"
        description="For your repository list, private clones and pull requests. Never enters the container."
      >
        <SecretField
          name="github"
          label="GitHub token"
          placeholder="github_pat_…"
          help="A fine-grained token with read access to contents (and write, to open pull requests)."
          status={secrets}
          onStatus={setSecrets}
        />
        {/* A token held back (entered for another API host) is not checked: the notice above says why. */}
        <GitHubStatusView
          tokenSet={(secrets?.github ?? false) && !github?.changed}
          endpoint={github?.endpoint}
        />
        <Field
          {...common}
          field="githubApiUrl"
          label="GitHub API URL"
          type="url"
          mono
          placeholder="https://api.github.com"
          help="GitHub Enterprise: https://HOST/api/v3."
          error={f.errors.githubApiUrl}
        />
      </Section>

      <Section
        id="git"
        title="Git"
        description="Who commits the published changes, and how their branches are named."
      >
        <div className="grid-2">
          <Field {...common} field="authorName" label="Author name" type="text" error={f.errors.authorName} />
          <Field
            {...common}
            field="authorEmail"
            label="Author email"
            type="text"
            mono
            error={f.errors.authorEmail}
          />
          <Field
            {...common}
            field="branchPrefix"
            label="Branch prefix"
            type="text"
            mono
            help="Branches are named prefix-YYYYMMDD-HHMMSS."
            error={f.errors.branchPrefix}
          />
        </div>
      </Section>

      <Section id="docker" title="Docker">
        <DockerSection />
        <Field
          {...common}
          field="dockerHost"
          label="Engine address"
          type="text"
          mono
          placeholder="Found like the docker CLI finds it"
          help="Like DOCKER_HOST: unix:///path/docker.sock, npipe:////./pipe/docker_engine, tcp://host:2376 or ssh://user@host. Empty: DOCKER_HOST, the docker context, then the usual sockets."
          error={f.errors.dockerHost}
        />
      </Section>

      <Section
        id="engines"
        title="Engines"
        description="Where tasks run: this computer, and Docker engines elsewhere over TLS or SSH (the workspace is copied there and back). Saved at once."
      >
        <EnginesSection settings={settings} />
      </Section>

      <Section
        id="image"
        title="Agent image"
        description="The sandbox every task runs in: pulled prebuilt when the registry has this exact image, else built here from agent-image/."
      >
        <ImagePanel />
        <Field
          {...common}
          field="imageRegistry"
          label="Prebuilt image registry"
          type="text"
          mono
          placeholder="Empty: always build here"
          help="A repository like ghcr.io/owner/codex-sys-agent, tagged with the image's content hash. A pull that fails falls back to the build."
          error={f.errors.imageRegistry}
        />
      </Section>

      <Section
        id="setup-cache"
        title="Setup cache"
        description="What a repository’s setup.sh made, kept for the next task with the same image, script and lockfiles: that task skips setup."
      >
        <SetupCachePanel />
        <Field
          {...common}
          field="setupCacheGb"
          label="Size cap"
          unit="GiB"
          min={0}
          step={1}
          help="Least recently used entries go beyond it; 0 keeps none."
          error={f.errors.setupCacheGb}
        />
      </Section>

      <Section
        id="limits"
        title="Limits"
        description="Defaults for each task; a task stops when it reaches one."
      >
        <div className="grid-2">
          <Field
            {...common}
            field="maxSteps"
            label="Steps"
            min={1}
            max={1000}
            step={1}
            error={f.errors.maxSteps}
          />
          <Field
            {...common}
            field="maxTokens"
            label="Tokens"
            min={1000}
            step={1000}
            error={f.errors.maxTokens}
          />
          <Field
            {...common}
            field="maxCostUsd"
            label="Cost"
            unit="USD"
            min={0}
            step={0.01}
            error={f.errors.maxCostUsd}
          />
          <Field
            {...common}
            field="timeLimitMin"
            label="Time limit"
            unit="min"
            min={1}
            step={0.1}
            error={f.errors.timeLimitMin}
          />
          <Field
            {...common}
            field="contextWindow"
            label="Context window"
            unit="tokens"
            min={1000}
            step={1000}
            placeholder="From the model’s name"
            help="How many tokens the model holds; the agent compacts its history at 85% of it. Empty: known models’ own, else 32k."
            error={f.errors.contextWindow}
          />
          <Field
            {...common}
            field="maxConcurrentTasks"
            label="Tasks at once"
            min={1}
            max={16}
            step={1}
            help="Others wait in the queue."
            error={f.errors.maxConcurrentTasks}
          />
        </div>
      </Section>

      <Section id="sandbox" title="Sandbox" description="Resources of each task’s container.">
        <div className="grid-2">
          <Field
            {...common}
            field="memoryMb"
            label="Memory"
            unit="MB"
            min={64}
            step={64}
            error={f.errors.memoryMb}
          />
          <Field {...common} field="cpus" label="CPUs" min={0.1} max={64} step={0.5} error={f.errors.cpus} />
          <Field
            {...common}
            field="pidsLimit"
            label="Processes"
            min={16}
            step={1}
            error={f.errors.pidsLimit}
          />
          <Field
            {...common}
            field="tmpfsMb"
            label="Temporary space"
            unit="MB"
            min={16}
            max={65536}
            step={64}
            help="The size of /tmp (cleared with each container); counts against memory."
            error={f.errors.tmpfsMb}
          />
          <Field
            {...common}
            field="maxWorkspaceGb"
            label="Workspace size limit"
            unit="GB"
            min={0.1}
            step={0.1}
            help="The task stops with an error when its files (and its home folder) grow past this."
            error={f.errors.maxWorkspaceGb}
          />
        </div>
      </Section>

      <Section
        id="network"
        title="Network"
        description="Defaults for each task (a task may choose its own). Except in Full, requests pass a policy proxy outside the sandbox; each one it refuses shows in the task’s timeline."
      >
        <NetworkSection form={f.form} set={f.set} errors={f.errors} />
      </Section>

      <Section id="appearance" title="Appearance">
        <ThemePicker theme={settings.theme} />
      </Section>

      {f.error && <ErrorView error={f.error} onDismiss={f.revert} />}
      <div className={f.dirty || f.saved ? 'save-bar visible' : 'save-bar'} aria-live="polite">
        <span className="muted">{f.saved ? 'Saved.' : f.dirty ? 'Unsaved changes' : ''}</span>
        <button type="button" className="button ghost" disabled={!f.dirty || f.saving} onClick={f.revert}>
          Revert
        </button>
        <button
          type="submit"
          className="button primary"
          disabled={!f.dirty || f.saving}
          title={modLabel('S')}
        >
          {f.saving ? 'Saving…' : 'Save changes'}
        </button>
      </div>
    </form>
  )
}
