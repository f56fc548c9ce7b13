import type { SecretName } from '../../shared/system'
import type { SecretStore } from '../services'

/**
 * A store with values from the environment on top (OPENAI_API_KEY, GITHUB_TOKEN): used for this session
 * only, never written anywhere. Setting or deleting a secret from the UI replaces the session value.
 */
export function withSessionSecrets(
  store: SecretStore,
  values: Partial<Record<SecretName, string | undefined>>,
): SecretStore {
  const session = new Map<SecretName, string>()
  for (const [name, value] of Object.entries(values) as Array<[SecretName, string | undefined]>) {
    if (value?.trim()) session.set(name, value.trim())
  }
  return {
    async status() {
      const status = await store.status()
      return {
        ...status,
        openai: status.openai || session.has('openai'),
        github: status.github || session.has('github'),
      }
    },
    async get(name) {
      return session.get(name) ?? store.get(name)
    },
    async set(name, value) {
      await store.set(name, value)
      session.delete(name)
    },
    async delete(name) {
      await store.delete(name)
      session.delete(name)
    },
  }
}
