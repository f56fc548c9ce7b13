import type { GitHubStatus, RepoPage } from '../../shared/system'
import { AppError } from '../errors'
import { createGitHub, gitHubStatus, listRepos } from '../github'
import type { SecretStore, SettingsStore } from '../services'

/** The user's GitHub, through the token in the keychain: who they are, and their repositories. */
export function createGitHubService(secrets: SecretStore, settings: SettingsStore) {
  const client = async () => {
    const token = await secrets.get('github')
    return token ? createGitHub({ token, baseUrl: settings.get().githubApiUrl }) : undefined
  }
  return {
    status: async (): Promise<GitHubStatus> => gitHubStatus(await client()),
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
