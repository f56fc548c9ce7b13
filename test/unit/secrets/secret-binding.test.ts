import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import {
  currentEndpoints,
  environmentEndpoints,
  githubEndpoint,
  modelEndpoint,
  secretForUse,
} from '../../../src/main/secrets/endpoints'
import { memoryBackend, type KeychainBackend } from '../../../src/main/secrets/keychain'
import { createSecretStore, decodeSecret, encodeSecret } from '../../../src/main/secrets/secret-store'
import { withSessionSecrets } from '../../../src/main/server/env-secrets'
import type { SecretStore } from '../../../src/main/services'
import { endpointLabel, endpointOf } from '../../../src/shared/secret-endpoints'
import { defaultSettings, type Settings } from '../../../src/shared/settings'
import { memorySettings } from '../../support/services'
import { appErrorOf } from '../../support/files'

const KEY = 'sk-bound-7e3a9c1f5d2b8e4a6c0f'
const TOKEN = 'ghp_bound_1a2b3c4d5e6f7a8b9c0d'
const OPENAI = 'https://api.openai.com'
const GITHUB = 'https://api.github.com'
const EVIL = 'https://evil.example'

function keychain(): KeychainBackend & { values: Map<string, string> } {
  const values = new Map<string, string>()
  return {
    values,
    get: async (account) => values.get(account) ?? null,
    set: async (account, value) => {
      values.set(account, value)
    },
    delete: async (account) => values.delete(account),
  }
}

const rejection = appErrorOf

/** Refused for `endpoint`, with the kind the UI acts on, and not a byte of `value` in what it says. */
async function expectHeldBack(
  store: SecretStore,
  name: 'openai' | 'github',
  endpoint: string,
  value: string,
): Promise<AppError> {
  const err = await rejection(store.get(name, endpoint))
  expect(err.kind).toBe('secret_endpoint_changed')
  const text = JSON.stringify({ ...err.toData(), stack: err.stack })
  expect(text).not.toContain(value)
  expect(text).not.toContain(value.slice(0, 10))
  return err
}

describe('endpoints', () => {
  it('are origins: scheme, lowercase host, port unless it is the default', () => {
    expect(endpointOf('https://API.OpenAI.com:443/v1/')).toBe(OPENAI)
    expect(endpointOf('http://127.0.0.1:8080/v1')).toBe('http://127.0.0.1:8080')
    expect(endpointOf('https://user:pw@evil.example/v1')).toBe(EVIL)
    expect(endpointOf('http://[::1]:9/x')).toBe('http://[::1]:9')
    expect(endpointOf('not a url')).toBeUndefined()
    expect(endpointOf('file:///etc/passwd')).toBeUndefined()
    expect(endpointLabel(OPENAI)).toBe('api.openai.com')
    expect(endpointLabel('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080')
  })

  it('of the model key are where the openai SDK sends it; of the token, the GitHub API host', () => {
    const s: Settings = defaultSettings()
    expect(modelEndpoint(s, {})).toBe(OPENAI)
    expect(modelEndpoint(s, { OPENAI_BASE_URL: ' http://127.0.0.1:4000/v1 ' })).toBe('http://127.0.0.1:4000')
    expect(modelEndpoint({ ...s, baseUrl: 'https://llm.corp/v1' }, { OPENAI_BASE_URL: EVIL })).toBe(
      'https://llm.corp',
    )
    expect(githubEndpoint(s)).toBe(GITHUB)
    expect(githubEndpoint({ ...s, githubApiUrl: 'https://ghe.corp/api/v3' })).toBe('https://ghe.corp')
    expect(environmentEndpoints({ OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' })).toEqual({
      openai: 'http://127.0.0.1:1',
      github: GITHUB,
    })
  })
})

describe('a secret bound to its endpoint', () => {
  it('is handed out for that endpoint, however its URL is spelled, and for no other', async () => {
    const store = createSecretStore(memoryBackend(), { backend: 'keychain' })
    await store.set('openai', KEY, 'https://api.openai.com/v1')
    expect(await store.get('openai', 'https://API.openai.com:443/v1/chat')).toBe(KEY)
    for (const other of [
      EVIL,
      'http://api.openai.com',
      'https://api.openai.com:8443',
      'https://openai.com',
    ]) {
      await expectHeldBack(store, 'openai', other, KEY)
    }
    const err = await expectHeldBack(store, 'openai', 'https://evil.example/v1', KEY)
    expect(err.message).toBe(
      'Your model API key was entered for api.openai.com; the endpoint is now evil.example. ' +
        'Enter the key again for evil.example, or confirm in Settings that it may be sent there.',
    )
    expect(err.details).toEqual({ name: 'openai', boundTo: OPENAI, endpoint: EVIL })
    expect(err.hint).toMatch(/Base URL/)
  })

  it('is stored as one keychain entry holding the value and its endpoint together', async () => {
    const backend = keychain()
    const store = createSecretStore(backend, { backend: 'keychain' })
    await store.set('github', TOKEN, 'https://api.github.com/')
    expect(JSON.parse(backend.values.get('github')!)).toEqual({ v: 1, value: TOKEN, endpoint: GITHUB })
    expect(decodeSecret(encodeSecret('a"b\\c', EVIL))).toEqual({ value: 'a"b\\c', boundTo: EVIL })
    // An envelope naming no usable endpoint is bound to nothing.
    expect(decodeSecret('{"v":1,"value":"x","endpoint":"junk"}')).toEqual({ value: 'x' })
    expect(decodeSecret('{not json')).toEqual({ value: '{not json' })
  })

  it('reports where it is bound and whether the settings point elsewhere, never the value', async () => {
    const store = createSecretStore(memoryBackend(), { backend: 'keychain' })
    await store.set('openai', KEY, OPENAI)
    await store.set('github', TOKEN, GITHUB)
    const status = await store.status({ openai: EVIL, github: GITHUB })
    expect(status.bindings).toEqual({
      openai: { boundTo: OPENAI, endpoint: EVIL, changed: true },
      github: { boundTo: GITHUB, endpoint: GITHUB, changed: false },
    })
    expect(JSON.stringify(status)).not.toContain(KEY)
    expect(JSON.stringify(status)).not.toContain(TOKEN)
  })

  it('moves only on the confirmation, or when it is entered again', async () => {
    const store = createSecretStore(memoryBackend(), { backend: 'keychain' })
    await store.set('openai', KEY, OPENAI)
    await store.allowEndpoint('openai', 'https://evil.example/v1')
    expect(await store.get('openai', EVIL)).toBe(KEY)
    // Confirmed for one endpoint, it leaves the previous one: it is bound to one endpoint at a time.
    await expectHeldBack(store, 'openai', OPENAI, KEY)
    await store.set('openai', 'sk-new-value-0000000000', OPENAI)
    expect(await store.get('openai', OPENAI)).toBe('sk-new-value-0000000000')
    await expectHeldBack(store, 'openai', EVIL, 'sk-new-value-0000000000')
    expect((await rejection(store.allowEndpoint('github', GITHUB))).kind).toBe('not_found')
    expect((await rejection(store.allowEndpoint('openai', 'nowhere'))).kind).toBe('invalid_input')
  })

  it('stored before secrets were bound (a plain value) goes nowhere until confirmed', async () => {
    const backend = keychain()
    backend.values.set('openai', KEY)
    backend.values.set('github', TOKEN)
    const store = createSecretStore(backend, { backend: 'keychain' })
    expect((await store.status({ openai: OPENAI, github: GITHUB })).bindings).toEqual({
      openai: { endpoint: OPENAI, changed: true },
      github: { endpoint: GITHUB, changed: true },
    })
    const err = await expectHeldBack(store, 'openai', OPENAI, KEY)
    expect(err.message).toMatch(/stored before codex-sys recorded which endpoint it is for/)
    expect(err.details).toEqual({ name: 'openai', boundTo: null, endpoint: OPENAI })
    await expectHeldBack(store, 'github', GITHUB, TOKEN)
    await store.allowEndpoint('openai', OPENAI)
    expect(await store.get('openai', OPENAI)).toBe(KEY)
    expect(JSON.parse(backend.values.get('openai')!)).toEqual({ v: 1, value: KEY, endpoint: OPENAI })
    await expectHeldBack(store, 'github', GITHUB, TOKEN) // still unconfirmed
  })

  it('never echoes the value when the keychain refuses to store it, however it is quoted', async () => {
    const value = 'sk-"quoted\\value-12345678'
    const store = createSecretStore(
      {
        ...memoryBackend(),
        set: async (_account, entry) => {
          throw new Error(`cannot store ${entry} (${JSON.stringify(value).slice(1, -1)}, ${value})`)
        },
      },
      { backend: 'keychain' },
    )
    const err = await rejection(store.set('openai', value, OPENAI))
    expect(JSON.stringify(err.toData())).not.toContain('quoted')
  })
})

describe('secrets from the environment', () => {
  it('are bound to the endpoint the environment names, and move only for this session', async () => {
    const base = createSecretStore(memoryBackend(), { backend: 'keychain' })
    const store = withSessionSecrets(
      base,
      { openai: KEY, github: TOKEN },
      environmentEndpoints({ OPENAI_BASE_URL: 'http://127.0.0.1:7000/v1' }),
    )
    expect(await store.get('openai', 'http://127.0.0.1:7000/v1')).toBe(KEY)
    expect(await store.get('github', GITHUB)).toBe(TOKEN)
    await expectHeldBack(store, 'openai', OPENAI, KEY)
    expect((await store.status({ openai: OPENAI, github: GITHUB })).bindings).toEqual({
      openai: { boundTo: 'http://127.0.0.1:7000', endpoint: OPENAI, changed: true },
      github: { boundTo: GITHUB, endpoint: GITHUB, changed: false },
    })
    await store.allowEndpoint('openai', OPENAI)
    expect(await store.get('openai', OPENAI)).toBe(KEY)
    expect((await base.status()).openai).toBe(false) // never written to the keychain
    await store.set('github', 'ghp_entered_in_the_ui_000000', 'https://ghe.corp/api/v3')
    expect(await store.get('github', 'https://ghe.corp')).toBe('ghp_entered_in_the_ui_000000')
  })
})

describe('secretForUse', () => {
  it('hands out a secret only for the endpoint of the settings it returns', async () => {
    const settings = memorySettings()
    const store = createSecretStore(memoryBackend(), { backend: 'keychain' })
    await store.set('openai', KEY, currentEndpoints(settings.get()).openai)
    const got = await secretForUse(store, () => settings.get(), 'openai')
    expect(got.value).toBe(KEY)
    await settings.update({ baseUrl: 'https://evil.example/v1' })
    const err = await rejection(secretForUse(store, () => settings.get(), 'openai'))
    expect(err.kind).toBe('secret_endpoint_changed')
    expect(JSON.stringify(err.toData())).not.toContain(KEY)
  })

  it('refuses when the settings move while the keychain is read', async () => {
    const settings = memorySettings()
    const backend = memoryBackend()
    const store = createSecretStore(backend, { backend: 'keychain' })
    await store.set('github', TOKEN, GITHUB)
    const slow: SecretStore = {
      ...store,
      get: async (name, endpoint) => {
        const value = await store.get(name, endpoint)
        await settings.update({ githubApiUrl: 'https://evil.example/api/v3' })
        return value
      },
    }
    const err = await rejection(secretForUse(slow, () => settings.get(), 'github'))
    expect(err.kind).toBe('secret_endpoint_changed')
    expect(err.details).toEqual({ name: 'github', boundTo: GITHUB, endpoint: EVIL })
  })
})
