import { AppError } from '../errors'

/**
 * Turns what Octokit throws into an AppError a user can act on. `what` names the thing being done or
 * looked at ("repository o/r", "the pull request"), never a credential. GitHub's own message is kept
 * where it explains the problem (validation); the token never is (Octokit redacts it, and we never
 * copy the request).
 */
interface OctokitFailure {
  status?: number
  message?: string
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown }
}

const SETTINGS_HINT = 'Set a new GitHub token in Settings → GitHub.'

export function gitHubError(err: unknown, what: string): AppError {
  if (err instanceof AppError) return err
  const failure = (err ?? {}) as OctokitFailure
  const status = typeof failure.status === 'number' ? failure.status : 0
  const headers = failure.response?.headers ?? {}
  const header = (name: string): string | undefined => {
    const v = headers[name]
    return v === undefined ? undefined : String(v)
  }
  const githubMessage = messageOf(failure.response?.data)
  const details: Record<string, unknown> = { status }

  if (!failure.response) {
    return new AppError('internal', `Could not reach GitHub for ${what}.`, {
      hint: 'Check the network connection and the GitHub API URL in Settings, then try again.',
      details,
    })
  }
  if (status === 401) {
    return new AppError('auth_failed', 'The GitHub token was rejected (expired or revoked).', {
      hint: SETTINGS_HINT,
      details,
    })
  }
  if (
    (status === 403 || status === 429) &&
    (header('x-ratelimit-remaining') === '0' || header('retry-after'))
  ) {
    const retryAfter = Number(header('retry-after'))
    const reset = Number(header('x-ratelimit-reset'))
    const at = Number.isFinite(retryAfter) && retryAfter > 0 ? Date.now() + retryAfter * 1000 : reset * 1000
    const when = Number.isFinite(at) && at > 0 ? describeReset(at) : 'soon'
    if (Number.isFinite(at) && at > 0) details.resetAt = new Date(at).toISOString()
    return new AppError('rate_limited', `GitHub's API rate limit is used up (${what}); it resets ${when}.`, {
      hint: 'Wait until then and try again; nothing was lost.',
      details: { ...details, rateLimited: true },
    })
  }
  const missing = missingScopes(header('x-oauth-scopes'), header('x-accepted-oauth-scopes'))
  if ((status === 403 || status === 404) && missing) {
    const needs = missing.length === 1 ? `the \`${missing[0]}\` scope` : `one of the scopes ${list(missing)}`
    return new AppError('auth_failed', `GitHub refused ${what}: the token needs ${needs}.`, {
      hint: `Create a token with ${needs} and set it in Settings → GitHub.`,
      details: { ...details, neededScopes: missing },
    })
  }
  if (status === 404) {
    return new AppError('not_found', `${capitalize(what)} was not found, or the token can't see it.`, {
      hint: 'Check the name. For a private repository the token needs access to it (the `repo` scope).',
      details,
    })
  }
  if (status === 403) {
    return new AppError(
      'auth_failed',
      `GitHub refused ${what}${githubMessage ? `: ${githubMessage}` : ''}.`,
      {
        hint: "Check the token's permissions for this repository in Settings → GitHub.",
        details,
      },
    )
  }
  if (status === 422) {
    return new AppError(
      'invalid_input',
      `GitHub rejected ${what}: ${githubMessage ?? 'validation failed'}.`,
      {
        details,
      },
    )
  }
  return new AppError('internal', `GitHub failed on ${what} (HTTP ${status}).`, {
    hint: 'Try again in a moment; GitHub may be having trouble.',
    details,
  })
}

/** GitHub's message plus its per-field errors ("A pull request already exists for o:b."). */
export function messageOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined
  const d = data as { message?: unknown; errors?: unknown }
  const parts: string[] = []
  const errors = Array.isArray(d.errors) ? d.errors : []
  for (const e of errors as { message?: unknown; field?: unknown; code?: unknown }[]) {
    if (typeof e?.message === 'string') parts.push(e.message.replace(/\.$/, ''))
    else if (typeof e?.field === 'string')
      parts.push(`${e.field} ${typeof e.code === 'string' ? e.code : 'invalid'}`)
  }
  const head = typeof d.message === 'string' ? d.message : undefined
  if (parts.length === 0) return head
  return head && head !== 'Validation Failed' ? `${head} (${parts.join('; ')})` : parts.join('; ')
}

/** Scopes the endpoint accepts when the token (a classic one, which reports its scopes) has none of them. */
function missingScopes(have: string | undefined, accepted: string | undefined): string[] | undefined {
  if (have === undefined || accepted === undefined) return undefined
  const split = (s: string): string[] =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
  const wanted = split(accepted)
  const owned = new Set(split(have))
  if (wanted.length === 0 || wanted.some((s) => owned.has(s))) return undefined
  return wanted
}

function describeReset(at: number): string {
  const minutes = Math.max(1, Math.ceil((at - Date.now()) / 60_000))
  const clock = new Date(at).toTimeString().slice(0, 5)
  return `at ${clock} (in ${minutes} min)`
}

function list(scopes: string[]): string {
  return scopes.map((s) => `\`${s}\``).join(', ')
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
