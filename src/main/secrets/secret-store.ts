import { AppError } from '../errors'
import type { SecretStore } from '../services'
import { SECRET_NAMES, type SecretName, type SecretsStatus } from '../../shared/system'
import { keychainError } from './keychain-errors'
import { memoryBackend, type KeychainBackend } from './keychain'

/** Where the secrets of a store live, as the UI is told (`SecretsStatus` without the booleans). */
export type SecretsWhere = Pick<SecretsStatus, 'backend' | 'keychainProblem'>

/** The keychain account each secret is stored under. */
export const SECRET_ACCOUNTS: Record<SecretName, string> = { openai: 'openai', github: 'github' }

function checkName(name: string): SecretName {
  if ((SECRET_NAMES as readonly string[]).includes(name)) return name as SecretName
  throw new AppError('invalid_input', `Unknown secret "${name}".`, {
    hint: `Use one of ${SECRET_NAMES.join(', ')}.`,
  })
}

/**
 * A SecretStore over any backend: `status` reports only booleans, values leave through `get` (for the
 * engine) and nowhere else, and backend failures become AppErrors that never carry the value.
 */
export function createSecretStore(backend: KeychainBackend, where: SecretsWhere): SecretStore {
  const read = async (name: SecretName): Promise<string | undefined> => {
    try {
      return (await backend.get(SECRET_ACCOUNTS[name])) || undefined
    } catch (err) {
      throw keychainError('read', name, err)
    }
  }
  return {
    async status() {
      const [openai, github] = await Promise.all([read('openai'), read('github')])
      const status: SecretsStatus = {
        openai: Boolean(openai),
        github: Boolean(github),
        backend: where.backend,
      }
      if (where.keychainProblem) status.keychainProblem = where.keychainProblem
      return status
    },
    get: (name) => read(checkName(name)),
    async set(name, value) {
      checkName(name)
      const trimmed = typeof value === 'string' ? value.trim() : ''
      if (!trimmed)
        throw new AppError('invalid_input', 'The secret is empty.', { hint: 'Paste the key again.' })
      try {
        await backend.set(SECRET_ACCOUNTS[name], trimmed)
      } catch (err) {
        throw keychainError('save', name, err, trimmed)
      }
    },
    async delete(name) {
      checkName(name)
      try {
        await backend.delete(SECRET_ACCOUNTS[name])
      } catch (err) {
        throw keychainError('delete', name, err)
      }
    },
  }
}

/** Secrets kept in memory until the app quits: what a user gets when the OS keychain is not usable. */
export function createSessionStore(keychainProblem: string): SecretStore {
  return createSecretStore(memoryBackend(), { backend: 'session', keychainProblem })
}
