import type { SecretEndpoints, SecretName, SecretsStatus } from '../../shared/system'
import { environmentEndpoints } from '../secrets/endpoints'
import { bindingOf, checkEndpoint, type BoundSecret } from '../secrets/secret-store'
import { endpointChangedError } from '../secrets/keychain-errors'
import type { SecretStore } from '../services'
import { endpointOf } from '../../shared/secret-endpoints'

/**
 * A store with values from the environment on top (OPENAI_API_KEY, GITHUB_TOKEN): used for this session
 * only, never written anywhere. Setting or deleting a secret from the UI replaces the session value.
 *
 * Each environment value is bound, like a stored one, to the endpoint the environment names for it when the
 * process starts (`endpoints`; by default OPENAI_BASE_URL and GITHUB_API_URL, else the defaults), so no
 * settings change sends it elsewhere; `allowEndpoint` moves it for this session only.
 */
export function withSessionSecrets(
  store: SecretStore,
  values: Partial<Record<SecretName, string | undefined>>,
  endpoints: SecretEndpoints = environmentEndpoints(),
): SecretStore {
  const session = new Map<SecretName, Required<BoundSecret>>()
  for (const [name, value] of Object.entries(values) as Array<[SecretName, string | undefined]>) {
    if (value?.trim()) session.set(name, { value: value.trim(), boundTo: endpoints[name] })
  }
  return {
    async status(current) {
      const status: SecretsStatus = await store.status(current)
      const bindings = { ...status.bindings }
      for (const [name, secret] of session) bindings[name] = bindingOf(secret, current?.[name])
      return {
        ...status,
        openai: status.openai || session.has('openai'),
        github: status.github || session.has('github'),
        bindings,
      }
    },
    async get(name, endpoint) {
      const secret = session.get(name)
      if (!secret) return store.get(name, endpoint)
      const target = endpointOf(endpoint) ?? endpoint
      if (secret.boundTo !== target) throw endpointChangedError(name, secret.boundTo, target)
      return secret.value
    },
    async set(name, value, endpoint) {
      await store.set(name, value, endpoint)
      session.delete(name)
    },
    async allowEndpoint(name, endpoint) {
      const secret = session.get(name)
      if (!secret) return store.allowEndpoint(name, endpoint)
      secret.boundTo = checkEndpoint(name, endpoint)
    },
    async delete(name) {
      await store.delete(name)
      session.delete(name)
    },
  }
}
