import type { Settings } from '../../shared/settings'
import { gitHubRepoOf } from '../github'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * The GitHub token goes only where it belongs: to GitHub (or the configured GitHub Enterprise host), and to
 * local http servers when they are allowed (tests, self-hosted mirrors). Any other Git host never sees it.
 */
export function gitTokenFor(url: string, settings: Settings, token: string | undefined): string | undefined {
  if (!token) return undefined
  if (gitHubRepoOf(url, settings.githubApiUrl)) return token
  if (!settings.allowLocalHttpGit) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname) ? token : undefined
  } catch {
    return undefined
  }
}
