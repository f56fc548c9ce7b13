/**
 * Where a secret is sent, as an endpoint: the origin (scheme://host[:port]) of the URL it goes to. A stored
 * secret is bound to the endpoint it was entered for and is sent nowhere else (see src/main/secrets/).
 * Pure functions: the renderer names endpoints with them too.
 */

/** Where the model API key goes when no base URL is set (the openai SDK's default, as an endpoint). */
export const DEFAULT_MODEL_ENDPOINT = 'https://api.openai.com'
/** GitHub.com's REST API. */
export const DEFAULT_GITHUB_ENDPOINT = 'https://api.github.com'

/**
 * The endpoint of a URL: scheme://host[:port], lowercase, the scheme's default port left out. Undefined when
 * `url` is not an absolute URL with a host.
 */
export function endpointOf(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url.trim())
  } catch {
    return undefined
  }
  if (!parsed.host) return undefined
  // `origin` is "null" for schemes the URL standard does not know; protocol + host names them all alike.
  return `${parsed.protocol}//${parsed.host}`.toLowerCase()
}

/** An endpoint as a user reads it: the host for https ("api.openai.com"), else the whole origin. */
export function endpointLabel(endpoint: string): string {
  const normalized = endpointOf(endpoint)
  if (!normalized) return endpoint
  return normalized.startsWith('https://') ? normalized.slice('https://'.length) : normalized
}
