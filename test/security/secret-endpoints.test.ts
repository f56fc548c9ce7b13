/**
 * Redirecting a secret through the settings. Whoever can change a setting (before the server required its
 * token: any local process) points the model base URL or the GitHub API at a listener of their own and
 * waits for the next model call or `github.status`. Each stored secret is bound to the endpoint it was
 * entered for, so the listener gets nothing: the call fails with `secret_endpoint_changed`, and only the
 * user's confirmation of exactly the endpoint in effect (`secrets.allowEndpoint`) moves the secret.
 *
 * Every case goes through the real handlers (what every transport binds), the real secret store and the
 * real engine, with the planted API key and GitHub token; the listeners record every header they receive.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openServices } from '../../src/main/app-services'
import { agentImageDir } from '../../src/main/cli/paths'
import { createHandlers, invokeCall } from '../../src/main/engine/handlers'
import { currentEndpoints, environmentEndpoints } from '../../src/main/secrets/endpoints'
import { memoryBackend } from '../../src/main/secrets/keychain'
import { createSecretStore, createSessionStore } from '../../src/main/secrets/secret-store'
import { withSessionSecrets } from '../../src/main/server/env-secrets'
import type { SecretStore, Services } from '../../src/main/services'
import type { CallName, CallOutputs } from '../../src/shared/contract'
import type { Result } from '../../src/shared/errors'
import { endpointOf } from '../../src/shared/secret-endpoints'
import type { SettingsInput } from '../../src/shared/settings'
import type { SecretEndpoints } from '../../src/shared/system'
import type { TaskRecord } from '../../src/shared/task'
import { startAuthRecorder, type AuthRecorder } from '../support/auth-recorder'
import { testBaseImage } from '../support/docker'
import { waitForStatus } from '../support/engine'
import { writeFiles } from '../support/files'
import { startModelServer, type ModelServer } from '../support/model-server'
import { memorySecrets, memorySettings } from '../support/services'
import { expectHeld, plantSecrets, type Planted } from './support/hostile'

interface SecretCase {
  planted: Planted
  /** The model server the key was entered for; it insists on the planted key. */
  model: ModelServer
  /** The attacker's listener: where a changed setting points. */
  evil: AuthRecorder
  services: Services
  handlers: ReturnType<typeof createHandlers>
  /** A folder with a file in it, beside the data dir. */
  repo: string
  call<N extends CallName>(name: N, input: unknown): Promise<Result<CallOutputs[N]>>
}

/**
 * A case: planted secrets, the model server, the attacker's listener, and services over the secret store
 * `secrets` builds (by default the real store holding both planted secrets, entered under `settings`).
 */
async function withSecretCase(
  opts: {
    settings?: (c: { model: ModelServer; evil: AuthRecorder }) => SettingsInput
    secrets?: (planted: Planted, entered: SecretEndpoints) => Promise<SecretStore>
  },
  fn: (c: SecretCase) => Promise<void>,
): Promise<void> {
  const planted = await plantSecrets()
  const model = await startModelServer([{ toolCalls: [{ name: 'finish', args: { summary: 'Done.' } }] }], {
    apiKey: planted.apiKey,
  })
  const evil = await startAuthRecorder('attacker')
  const repo = join(planted.root, 'input', 'repo')
  await writeFiles(repo, { 'notes.txt': 'one\n' })
  const settings = memorySettings({
    model: 'scripted-model',
    baseUrl: model.baseURL,
    ...opts.settings?.({ model, evil }),
  })
  const entered = currentEndpoints(settings.get())
  const secrets = opts.secrets
    ? await opts.secrets(planted, entered)
    : await memorySecrets({ openai: planted.apiKey, github: planted.githubToken }, entered)
  const services = await openServices({
    dataDir: planted.dataDir,
    settings,
    secrets,
    agentImage: { contextDir: agentImageDir(), baseImage: testBaseImage() },
    idPrefix: 'test-',
  })
  const handlers = createHandlers(services)
  try {
    await fn({
      planted,
      model,
      evil,
      services,
      handlers,
      repo,
      call: (name, input) => invokeCall(handlers, name, input),
    })
  } finally {
    await services.engine.close()
    await Promise.all([model.close(), evil.close()])
  }
}

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error))
  return result.value
}

/** Submits a task and waits for it to settle as `status`. */
async function runTask(c: SecretCase, source: unknown, status: TaskRecord['status']): Promise<TaskRecord> {
  const task = value(await c.call('tasks.submit', { source, prompt: 'Say done' }))
  return waitForStatus(c.services.engine, task.id, [status])
}

/** Nothing the listener received carried either planted secret, in any header. */
function expectNothingFor(recorder: AuthRecorder, planted: Planted): void {
  const carried = recorder.requests.filter(
    (r) =>
      JSON.stringify(r.headers).includes(planted.apiKey) ||
      JSON.stringify(r.headers).includes(planted.githubToken),
  )
  expect(carried, 'requests that carried a secret').toEqual([])
}

/** The case's closing check: no planted secret in the data dir, model bodies, listener or anything said. */
async function expectCaseHeld(c: SecretCase, said: unknown[]): Promise<void> {
  expectNothingFor(c.evil, c.planted)
  const ids = c.services.engine.list().map((t) => t.id)
  const events = await Promise.all(ids.map((id) => c.services.engine.events(id)))
  await expectHeld(c.planted, {
    model: c.model,
    also: [
      { what: 'tasks and their events', text: JSON.stringify([c.services.engine.list(), events]) },
      { what: 'call results', text: JSON.stringify(said) },
      { what: 'the listener', text: JSON.stringify(c.evil.requests) },
    ],
  })
}

describe('hostile settings aimed at the stored secrets', () => {
  it('a base URL pointed at a listener gets no API key: the task fails, the listener hears nothing', async () => {
    await withSecretCase({}, async (c) => {
      const moved = await c.call('settings.update', { baseUrl: `${c.evil.url}/v1` })
      const status = await c.call('secrets.status', {})
      expect(value(status).bindings?.openai).toEqual({
        boundTo: endpointOf(c.model.baseURL),
        endpoint: c.evil.url,
        changed: true,
      })
      const task = await runTask(c, { kind: 'folder', path: c.repo }, 'failed')
      expect(task.error).toMatchObject({
        kind: 'secret_endpoint_changed',
        details: { name: 'openai', boundTo: endpointOf(c.model.baseURL), endpoint: c.evil.url },
      })
      expect(task.error?.message).toContain(`the endpoint is now ${c.evil.url}`)
      expect(task.error?.hint).toBeTruthy()
      expect(c.evil.requests, 'the listener is never called').toEqual([])
      expect(c.model.requests, 'nor the model the key was entered for').toEqual([])
      await expectCaseHeld(c, [moved, status])
    })
  })

  it('a GitHub API URL pointed at a listener gets no token: not from status, repos, nor a clone', async () => {
    // Local http Git URLs allowed, so that a clone from the listener's "GitHub" would carry the token.
    await withSecretCase({ settings: () => ({ allowLocalHttpGit: true }) }, async (c) => {
      const moved = await c.call('settings.update', { githubApiUrl: c.evil.url })
      const status = value(await c.call('github.status', {}))
      expect(status).toMatchObject({
        tokenSet: true,
        error: {
          kind: 'secret_endpoint_changed',
          details: { name: 'github', boundTo: 'https://api.github.com', endpoint: c.evil.url },
        },
      })
      const repos = await c.call('github.repos', { page: 1 })
      expect(repos).toMatchObject({ ok: false, error: { kind: 'secret_endpoint_changed' } })
      expect(c.evil.requests, 'status and repos never call the listener').toEqual([])
      // The clone goes to the listener (it is the GitHub the settings name now), without the token.
      const task = await runTask(c, { kind: 'git', url: `${c.evil.url}/acme/shop.git` }, 'failed')
      expect(task.error?.kind).not.toBe('internal')
      expect(c.evil.requests.length, 'the clone was tried').toBeGreaterThan(0)
      expect(c.evil.requests.filter((r) => r.headers.authorization !== undefined)).toEqual([])
      await expectCaseHeld(c, [moved, status, repos])
    })
  })

  it('a key stored before secrets were bound (a plain keychain value) goes nowhere until confirmed', async () => {
    await withSecretCase(
      {
        settings: ({ evil }) => ({ githubApiUrl: evil.url }),
        secrets: async (planted) => {
          const keychain = memoryBackend()
          await keychain.set('openai', planted.apiKey)
          await keychain.set('github', planted.githubToken)
          return createSecretStore(keychain, { backend: 'keychain' })
        },
      },
      async (c) => {
        const status = value(await c.call('secrets.status', {}))
        expect(status.bindings).toEqual({
          openai: { endpoint: endpointOf(c.model.baseURL), changed: true },
          github: { endpoint: c.evil.url, changed: true },
        })
        const task = await runTask(c, { kind: 'folder', path: c.repo }, 'failed')
        expect(task.error).toMatchObject({
          kind: 'secret_endpoint_changed',
          details: { name: 'openai', boundTo: null },
        })
        expect(task.error?.message).toMatch(/stored before codex-sys recorded which endpoint/)
        const github = value(await c.call('github.status', {}))
        expect(github.error?.kind).toBe('secret_endpoint_changed')
        expect(c.model.requests).toEqual([])
        expect(c.evil.requests).toEqual([])

        // The user confirms the model endpoint they see: the key goes there, and the token still nowhere.
        const allowed = await c.call('secrets.allowEndpoint', {
          name: 'openai',
          endpoint: status.bindings!.openai!.endpoint,
        })
        await runTask(c, { kind: 'folder', path: c.repo }, 'review')
        expect(c.model.requests.length).toBeGreaterThan(0)
        expect(value(await c.call('github.status', {})).error?.kind).toBe('secret_endpoint_changed')
        expect(c.evil.requests).toEqual([])
        await expectCaseHeld(c, [status, github, allowed])
      },
    )
  })

  it('a confirmation moves a secret only to the endpoint in effect: a stale one is refused', async () => {
    await withSecretCase({}, async (c) => {
      const second = await startAuthRecorder('second')
      try {
        // The user is shown the listener as the new endpoint; before they confirm, it moves again.
        await c.call('settings.update', { githubApiUrl: c.evil.url })
        const shown = value(await c.call('secrets.status', {})).bindings?.github?.endpoint
        expect(shown).toBe(c.evil.url)
        await c.call('settings.update', { githubApiUrl: second.url })
        const stale = await c.call('secrets.allowEndpoint', { name: 'github', endpoint: shown })
        expect(stale).toMatchObject({ ok: false, error: { kind: 'conflict' } })
        // A confirmation naming an endpoint the settings do not name is refused too, whatever it is.
        const forged = await c.call('secrets.allowEndpoint', { name: 'openai', endpoint: c.evil.url })
        expect(forged).toMatchObject({ ok: false, error: { kind: 'conflict' } })
        const status = value(await c.call('github.status', {}))
        expect(status.error?.kind).toBe('secret_endpoint_changed')
        const task = await runTask(c, { kind: 'folder', path: c.repo }, 'review')
        expect(task.status).toBe('review') // the model key still goes where it was entered for
        expectNothingFor(second, c.planted)
        expect(second.requests).toEqual([])
        await expectCaseHeld(c, [stale, forged, status])
      } finally {
        await second.close()
      }
    })
  })

  it('an OPENAI_API_KEY from the environment stays with the endpoint the environment named', async () => {
    await withSecretCase(
      {
        secrets: async (planted, entered) =>
          withSessionSecrets(
            createSessionStore('no keychain in this case'),
            { openai: planted.apiKey, github: planted.githubToken },
            // As at start: OPENAI_BASE_URL named the model server; GITHUB_API_URL was not set.
            environmentEndpoints({ OPENAI_BASE_URL: entered.openai }),
          ),
      },
      async (c) => {
        await runTask(c, { kind: 'folder', path: c.repo }, 'review')
        const sent = c.model.requests.length
        expect(sent).toBeGreaterThan(0)
        const moved = await c.call('settings.update', {
          baseUrl: `${c.evil.url}/v1`,
          githubApiUrl: c.evil.url,
        })
        const task = await runTask(c, { kind: 'folder', path: c.repo }, 'failed')
        expect(task.error?.kind).toBe('secret_endpoint_changed')
        const github = value(await c.call('github.status', {}))
        expect(github.error?.kind).toBe('secret_endpoint_changed')
        expect(c.evil.requests).toEqual([])
        expect(c.model.requests.length).toBe(sent)
        await expectCaseHeld(c, [moved, github])
      },
    )
  })
})
