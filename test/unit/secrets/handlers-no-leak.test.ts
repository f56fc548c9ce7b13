import { describe, expect, it } from 'vitest'
import { createSecretStore, createSessionStore } from '../../../src/main/secrets/secret-store'
import { memoryBackend } from '../../../src/main/secrets/keychain'
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
      // The calls did what they say: the engine still gets the key, the GitHub token is gone.
      expect(await secrets.get('openai')).toBe(SECRET)
      expect(await secrets.get('github')).toBeUndefined()
      const statuses = results.filter((r) => r.call === 'secrets.status' && r.result.ok)
      expect(statuses.map((r) => r.result.ok && r.result.value)).toEqual([
        expect.objectContaining({ openai: true, github: false, backend: label }),
        expect.objectContaining({ openai: true, github: true }),
        expect.objectContaining({ openai: true, github: false }),
      ])
      const refused = results.filter((r) => !r.result.ok)
      expect(refused.map((r) => r.call)).toEqual([
        'secrets.set',
        'secrets.set',
        'secrets.set',
        'secrets.status',
      ])
      expect(refused.every((r) => !r.result.ok && r.result.error.kind === 'invalid_input')).toBe(true)
    })
  }
})
