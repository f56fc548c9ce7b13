import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/main/errors'
import { gitHubError, messageOf } from '../../../src/main/github/errors'

/** The shape Octokit's RequestError has: status, response headers (lower-case) and data. */
function failure(status: number, data: unknown, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`HttpError ${status}`), { status, response: { status, headers, data } })
}

describe('gitHubError', () => {
  it('401 → auth_failed pointing to Settings', () => {
    const e = gitHubError(failure(401, { message: 'Bad credentials' }), 'repository a/b')
    expect(e).toMatchObject({
      kind: 'auth_failed',
      message: 'The GitHub token was rejected (expired or revoked).',
    })
    expect(e.hint).toMatch(/Settings/)
  })

  it('403 with the rate limit used up → when it resets; a secondary limit uses Retry-After', () => {
    const reset = Math.floor(Date.now() / 1000) + 30 * 60
    const e = gitHubError(
      failure(
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
      'repository a/b',
    )
    expect(e.message).toMatch(
      /rate limit is used up \(repository a\/b\); it resets at \d\d:\d\d \(in (29|30) min\)\./,
    )
    expect(e.kind).toBe('rate_limited')
    expect(e.details).toMatchObject({ rateLimited: true, resetAt: new Date(reset * 1000).toISOString() })
    const secondary = gitHubError(
      failure(429, { message: 'secondary rate limit' }, { 'retry-after': '120' }),
      'x',
    )
    expect(secondary.message).toMatch(/in 2 min/)
  })

  it('missing scopes are named, from X-Accepted-OAuth-Scopes against X-OAuth-Scopes', () => {
    const scopes = { 'x-oauth-scopes': 'read:user, gist', 'x-accepted-oauth-scopes': 'repo' }
    const e = gitHubError(failure(404, { message: 'Not Found' }, scopes), 'repository a/b')
    expect(e).toMatchObject({
      kind: 'auth_failed',
      message: 'GitHub refused repository a/b: the token needs the `repo` scope.',
    })
    expect(e.details).toMatchObject({ neededScopes: ['repo'] })
    const has = gitHubError(
      failure(404, {}, { 'x-oauth-scopes': 'repo', 'x-accepted-oauth-scopes': 'repo' }),
      'repository a/b',
    )
    expect(has.kind).toBe('not_found')
    const fineGrained = gitHubError(
      failure(403, { message: 'Resource not accessible by personal access token' }),
      'x',
    )
    expect(fineGrained).toMatchObject({
      kind: 'auth_failed',
      message: 'GitHub refused x: Resource not accessible by personal access token.',
    })
  })

  it('404 → not_found; 422 → invalid_input with GitHub’s reason; 5xx and network failures', () => {
    expect(gitHubError(failure(404, { message: 'Not Found' }), 'repository a/b')).toMatchObject({
      kind: 'not_found',
      message: "Repository a/b was not found, or the token can't see it.",
    })
    const body = {
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and x' }],
    }
    expect(gitHubError(failure(422, body), 'the pull request')).toMatchObject({
      kind: 'invalid_input',
      message: 'GitHub rejected the pull request: No commits between main and x.',
    })
    expect(messageOf({ message: 'Validation Failed', errors: [{ field: 'head', code: 'invalid' }] })).toBe(
      'head invalid',
    )
    expect(gitHubError(failure(502, 'bad gateway'), 'x').message).toBe('GitHub failed on x (HTTP 502).')
    const offline = gitHubError(Object.assign(new Error('fetch failed'), { status: 500 }), 'x')
    expect(offline).toMatchObject({ kind: 'internal', message: 'Could not reach GitHub for x.' })
    const app = new AppError('conflict', 'kept')
    expect(gitHubError(app, 'x')).toBe(app)
  })
})
