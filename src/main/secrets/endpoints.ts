import type { Settings } from '../../shared/settings'
import { DEFAULT_GITHUB_ENDPOINT, DEFAULT_MODEL_ENDPOINT, endpointOf } from '../../shared/secret-endpoints'
import type { SecretEndpoints, SecretName } from '../../shared/system'
import type { SecretStore } from '../services'
import { endpointChangedError } from './keychain-errors'

type Env = Record<string, string | undefined>

const envUrl = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined

/** An endpoint for any URL: its origin, or the URL itself when it has no host (it then matches nothing). */
const endpointFor = (url: string): string => endpointOf(url) ?? url.trim()

/**
 * Where the model API key goes under these settings: the base URL, else what the openai SDK falls back to
 * (OPENAI_BASE_URL from the environment, else api.openai.com), exactly as `createModelClient` resolves it.
 */
export function modelEndpoint(settings: Settings, env: Env = process.env): string {
  return endpointFor(settings.baseUrl ?? envUrl(env, 'OPENAI_BASE_URL') ?? DEFAULT_MODEL_ENDPOINT)
}

/** Where the GitHub token goes under these settings: the GitHub API host (and the Git host derived from it). */
export function githubEndpoint(settings: Settings): string {
  return endpointFor(settings.githubApiUrl || DEFAULT_GITHUB_ENDPOINT)
}

/** The endpoint each secret would be sent to now. */
export function currentEndpoints(settings: Settings, env: Env = process.env): SecretEndpoints {
  return { openai: modelEndpoint(settings, env), github: githubEndpoint(settings) }
}

/**
 * The endpoints the environment names for secrets it provides (OPENAI_API_KEY, GITHUB_TOKEN): OPENAI_BASE_URL
 * and GITHUB_API_URL, else the defaults. Fixed when the process starts; no settings change moves them.
 */
export function environmentEndpoints(env: Env = process.env): SecretEndpoints {
  return {
    openai: endpointFor(envUrl(env, 'OPENAI_BASE_URL') ?? DEFAULT_MODEL_ENDPOINT),
    github: endpointFor(envUrl(env, 'GITHUB_API_URL') ?? DEFAULT_GITHUB_ENDPOINT),
  }
}

const ENDPOINT_OF: Record<SecretName, (settings: Settings) => string> = {
  openai: (settings) => modelEndpoint(settings),
  github: githubEndpoint,
}

/**
 * A secret for use under the current settings, with the settings it is valid for. The endpoint is taken
 * from the settings before the secret is read and again after: the secret is handed out only when it is
 * bound to that endpoint and the settings did not move meanwhile, so whoever read the settings in the same
 * tick as this call, or reads them right after it resolves, sends it where it is bound.
 */
export async function secretForUse(
  secrets: SecretStore,
  settings: () => Settings,
  name: SecretName,
): Promise<{ value: string | undefined; settings: Settings }> {
  const before = settings()
  const endpoint = ENDPOINT_OF[name](before)
  const value = await secrets.get(name, endpoint)
  const now = ENDPOINT_OF[name](settings())
  if (value !== undefined && now !== endpoint) throw endpointChangedError(name, endpoint, now)
  return { value, settings: before }
}
