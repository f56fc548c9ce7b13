import { AppError } from '../errors'
import type { SecretStore } from '../services'
import { endpointOf } from '../../shared/secret-endpoints'
import {
  SECRET_NAMES,
  type SecretBinding,
  type SecretEndpoints,
  type SecretName,
  type SecretsStatus,
} from '../../shared/system'
import { endpointChangedError, keychainError, SECRET_LABELS } from './keychain-errors'
import { memoryBackend, type KeychainBackend } from './keychain'

/** Where the secrets of a store live, as the UI is told (`SecretsStatus` without the booleans). */
export type SecretsWhere = Pick<SecretsStatus, 'backend' | 'keychainProblem'>

/** The keychain account each secret is stored under. */
export const SECRET_ACCOUNTS: Record<SecretName, string> = { openai: 'openai', github: 'github' }

/** A secret as stored: the value and the endpoint it may be sent to (none: stored before secrets were bound). */
export interface BoundSecret {
  value: string
  boundTo?: string
}

/**
 * One keychain entry holds the value and its endpoint together, so the two can never drift apart:
 * `{"v":1,"value":"…","endpoint":"https://api.openai.com"}`. Anything else is a value stored before this
 * format (a plain key), bound to nothing.
 */
export function encodeSecret(value: string, endpoint: string): string {
  return JSON.stringify({ v: 1, value, endpoint })
}

export function decodeSecret(raw: string): BoundSecret | undefined {
  if (raw.startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as { v?: unknown; value?: unknown; endpoint?: unknown }
      if (parsed.v === 1 && typeof parsed.value === 'string') {
        if (!parsed.value) return undefined
        const boundTo = typeof parsed.endpoint === 'string' ? endpointOf(parsed.endpoint) : undefined
        return boundTo ? { value: parsed.value, boundTo } : { value: parsed.value }
      }
    } catch {
      // Not an envelope: a plain value that happens to start with a brace.
    }
  }
  const value = raw.trim()
  return value ? { value } : undefined
}

function checkName(name: string): SecretName {
  if ((SECRET_NAMES as readonly string[]).includes(name)) return name as SecretName
  throw new AppError('invalid_input', `Unknown secret "${name}".`, {
    hint: `Use one of ${SECRET_NAMES.join(', ')}.`,
  })
}

/** The endpoint a secret is bound to, normalized; invalid_input when it names no host. */
export function checkEndpoint(name: SecretName, endpoint: string): string {
  const normalized = typeof endpoint === 'string' ? endpointOf(endpoint) : undefined
  if (normalized) return normalized
  throw new AppError('invalid_input', `The endpoint for the ${SECRET_LABELS[name]} is not a URL.`, {
    hint: 'Enter a full URL in Settings, like https://api.example.com/v1.',
  })
}

/** The binding the UI is told of: never the value. */
export function bindingOf(secret: BoundSecret, current: string | undefined): SecretBinding {
  const binding: SecretBinding = { changed: false }
  if (secret.boundTo) binding.boundTo = secret.boundTo
  if (current !== undefined) {
    binding.endpoint = endpointOf(current) ?? current
    binding.changed = binding.endpoint !== secret.boundTo
  }
  return binding
}

/**
 * A SecretStore over any backend. Each secret is bound to the endpoint it was entered for: `get` names where
 * the value will be sent and returns it only when that is the bound endpoint (otherwise it throws
 * `secret_endpoint_changed` and returns nothing); `allowEndpoint` is the user's confirmation that moves it.
 * `status` reports booleans and endpoints only, and backend failures become AppErrors that never carry
 * the value.
 */
export function createSecretStore(backend: KeychainBackend, where: SecretsWhere): SecretStore {
  const read = async (name: SecretName): Promise<BoundSecret | undefined> => {
    let raw: string | null
    try {
      raw = await backend.get(SECRET_ACCOUNTS[name])
    } catch (err) {
      throw keychainError('read', name, err)
    }
    return raw ? decodeSecret(raw) : undefined
  }
  const write = async (name: SecretName, value: string, endpoint: string): Promise<void> => {
    const entry = encodeSecret(value, endpoint)
    try {
      await backend.set(SECRET_ACCOUNTS[name], entry)
    } catch (err) {
      // Blot the value however the library might echo it: as it is, JSON-escaped, or the whole entry.
      throw keychainError('save', name, err, entry, value, JSON.stringify(value).slice(1, -1))
    }
  }
  return {
    async status(current?: SecretEndpoints) {
      const [openai, github] = await Promise.all([read('openai'), read('github')])
      const status: SecretsStatus = {
        openai: Boolean(openai),
        github: Boolean(github),
        bindings: {},
        backend: where.backend,
      }
      if (openai) status.bindings!.openai = bindingOf(openai, current?.openai)
      if (github) status.bindings!.github = bindingOf(github, current?.github)
      if (where.keychainProblem) status.keychainProblem = where.keychainProblem
      return status
    },
    async get(name, endpoint) {
      checkName(name)
      const target = endpointOf(endpoint) ?? String(endpoint)
      const secret = await read(name)
      if (!secret) return undefined
      if (secret.boundTo !== target) throw endpointChangedError(name, secret.boundTo, target)
      return secret.value
    },
    async set(name, value, endpoint) {
      checkName(name)
      const trimmed = typeof value === 'string' ? value.trim() : ''
      if (!trimmed)
        throw new AppError('invalid_input', 'The secret is empty.', { hint: 'Paste the key again.' })
      await write(name, trimmed, checkEndpoint(name, endpoint))
    },
    async allowEndpoint(name, endpoint) {
      checkName(name)
      const target = checkEndpoint(name, endpoint)
      const secret = await read(name)
      if (!secret) {
        throw new AppError('not_found', `No ${SECRET_LABELS[name]} is stored.`, {
          hint: 'Enter it in Settings.',
        })
      }
      if (secret.boundTo !== target) await write(name, secret.value, target)
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
