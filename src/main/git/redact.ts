/**
 * Secret redaction for anything git prints or we build from it (logs, errors, progress).
 * A token is removed in every form it can take on the wire: raw, URL-encoded, and inside a
 * Basic `Authorization` header (GitHub style `x-access-token:TOKEN`, or `:TOKEN`, or bare).
 */
export const REDACTED = '***'

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

/** Every string form a secret can show up in. Secrets shorter than 4 characters are ignored. */
export function secretVariants(secret: string): string[] {
  if (secret.length < 4) return []
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    b64(secret),
    b64(`x-access-token:${secret}`),
    b64(`:${secret}`),
    b64(`git:${secret}`),
    b64(`oauth2:${secret}`),
  ])
  // Longest first, so a form never leaves part of a longer one behind.
  return [...forms].sort((a, b) => b.length - a.length)
}

const AUTH_HEADER = /(authorization:\s*)(basic|bearer|token)\s+[^\s'"]+/gi
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@:'"]*:[^/\s@'"]+@/gi

/** Removes the given secrets (and any auth header or URL credentials) from `text`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text
  for (const secret of secrets) {
    if (!secret) continue
    for (const form of secretVariants(secret)) out = out.split(form).join(REDACTED)
  }
  return out.replace(AUTH_HEADER, `$1$2 ${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`)
}

/** The header git sends for a GitHub-style token: `Authorization: Basic base64(x-access-token:TOKEN)`. */
export function basicAuthHeader(token: string): string {
  return `Authorization: Basic ${b64(`x-access-token:${token}`)}`
}
