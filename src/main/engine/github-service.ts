import type { GitHubStatus, RepoPage } from '../../shared/system'
import { AppError } from '../errors'
import { createGitHub, gitHubStatus, listRepos } from '../github'
import { secretForUse } from '../secrets/endpoints'
import type { SecretStore, SettingsStore } from '../services'

/**
 * The user's GitHub, through the token in the keychain: who they are, and their repositories. The token is
 * sent only to the GitHub API it was entered for (`secretForUse`); when the settings point elsewhere, nothing
 * is sent and the answer says so (`secret_endpoint_changed`).
 */
export function createGitHubService(secrets: SecretStore, settings: SettingsStore) {
  const client = async () => {
    const { value: token, settings: current } = await secretForUse(secrets, () => settings.get(), 'github')
    return token ? createGitHub({ token, baseUrl: current.githubApiUrl }) : undefined
  }
  return {
    async status(): Promise<GitHubStatus> {
      let gh: Awaited<ReturnType<typeof client>>
      try {
        gh = await client()
      } catch (err) {
        if (err instanceof AppError && err.kind === 'secret_endpoint_changed')
          return { tokenSet: true, error: err.toData() }
        throw err
      }
      return gitHubStatus(gh)
    },
    async repos(page: number, query?: string): Promise<RepoPage> {
      const gh = await client()
      if (!gh) {
        throw new AppError('auth_failed', 'No GitHub token is set.', {
          hint: 'Add a GitHub token in Settings to pick from your repositories.',
        })
      }
      return listRepos(gh, { page, query })
    },
  }
}
