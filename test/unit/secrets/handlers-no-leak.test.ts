import { describe, expect, it } from 'vitest'
import { createSecretStore, createSessionStore } from '../../../src/main/secrets/secret-store'
import { memoryBackend } from '../../../src/main/secrets/keychain'
import { currentEndpoints } from '../../../src/main/secrets/endpoints'
import { DEFAULT_GITHUB_ENDPOINT } from '../../../src/shared/secret-endpoints'
import { defaultSettings } from '../../../src/shared/settings'
import { callSecretHandlers } from '../../support/secret-handlers'

const SECRET = 'sk-live-9c4e1f7a2b8d3e6f0a5c'

describe('handlers never hand a secret back', () => {
  for (const [label, open] of [
    ['keychain', () => createSecretStore(memoryBackend(), { backend: 'keychain' })],
    ['session', () => createSessionStore('no keychain here')],
  ] as const) {
    it(`no settings.* or secrets.* output contains the value (${label} store)`, async () => {
      const secrets = open()
      const results = await callSecretHandlers(secrets, SECRET)
      for (const { call, result } of results) {
        expect(JSON.stringify(result), call).not.toContain(SECRET)
        expect(JSON.stringify(result), call).not.toContain(SECRET.slice(0, 12))
      }
      // The calls did what they say: the engine still gets the key (for its endpoint), the token is gone.
      const home = currentEndpoints(defaultSettings()).openai
      expect(await secrets.get('openai', home)).toBe(SECRET)
      expect(await secrets.get('github', DEFAULT_GITHUB_ENDPOINT)).toBeUndefined()
      const statuses = results.filter((r) => r.call === 'secrets.status' && r.result.ok)
      const unchanged = { boundTo: home, endpoint: home, changed: false }
      expect(statuses.map((r) => r.result.ok && r.result.value)).toEqual([
        expect.objectContaining({
          openai: true,
          github: false,
          backend: label,
          bindings: { openai: unchanged },
        }),
        expect.objectContaining({ openai: true, github: true }),
        expect.objectContaining({ openai: true, github: false }),
        expect.objectContaining({
          openai: true,
          bindings: { openai: { boundTo: home, endpoint: 'https://elsewhere.example', changed: true } },
        }),
        expect.objectContaining({ openai: true, bindings: { openai: unchanged } }),
      ])
      const refused = results.filter((r) => !r.result.ok)
      expect(refused.map((r) => [r.call, !r.result.ok && r.result.error.kind])).toEqual([
        ['secrets.set', 'invalid_input'],
        ['secrets.set', 'invalid_input'],
        ['secrets.set', 'invalid_input'],
        ['secrets.status', 'invalid_input'],
        ['secrets.allowEndpoint', 'conflict'],
      ])
    })
  }
})
