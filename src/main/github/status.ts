import type { GitHubStatus } from '../../shared/system'
import { AppError } from '../errors'
import type { GitHub } from './client'
import { gitHubError } from './errors'

/**
 * Who the token belongs to and what it may do: GET /user, scopes from X-OAuth-Scopes (classic tokens
 * only; fine-grained tokens send no such header). Problems come back as `error`, not as a throw,
 * so Settings can show them next to the token field.
 */
export async function gitHubStatus(gh: GitHub | undefined): Promise<GitHubStatus> {
  if (!gh) return { tokenSet: false }
  try {
    const res = await gh.octokit.rest.users.getAuthenticated()
    const status: GitHubStatus = { tokenSet: true, login: res.data.login }
    const scopes = res.headers['x-oauth-scopes']
    if (typeof scopes === 'string') {
      status.scopes = scopes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    }
    return status
  } catch (err) {
    const error = err instanceof AppError ? err : gitHubError(err, 'the token check')
    return { tokenSet: true, error: error.toData() }
  }
}
