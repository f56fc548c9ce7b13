import type { AppErrorData } from './errors'

export const SECRET_NAMES = ['openai', 'github'] as const
export type SecretName = (typeof SECRET_NAMES)[number]

/** What the UI may know of the secrets: whether each is set and where it lives. Never a value. */
export interface SecretsStatus {
  openai: boolean
  github: boolean
  /** 'keychain': the OS keychain; 'session': kept in memory until the app quits (no keychain here). */
  backend: 'keychain' | 'session'
  /** Why the keychain is not used, with what to do, when backend is 'session'. */
  keychainProblem?: string
}

export interface DockerStatus {
  reachable: boolean
  version?: string
  apiVersion?: string
  /** Why the engine is not reachable, with the fix (kind 'docker_unavailable'). */
  error?: AppErrorData
}

export interface ImageStatus {
  tag?: string
  baseImage: string
  present: boolean
  building: boolean
}

export interface SystemStatus {
  docker: DockerStatus
  image: ImageStatus
  platform: string
  /** True in the desktop app (native dialogs, file paths from drops); false in a browser. */
  desktop: boolean
}

/** What the GitHub token can do, for Settings and the repository picker. */
export interface GitHubStatus {
  tokenSet: boolean
  login?: string
  /** The token's OAuth scopes (classic tokens); absent for fine-grained tokens. */
  scopes?: string[]
  error?: AppErrorData
}

export interface RepoSummary {
  /** owner/name */
  fullName: string
  owner: string
  name: string
  private: boolean
  fork: boolean
  defaultBranch: string
  cloneUrl: string
  description: string | null
  pushedAt: string | null
  /** Whether the token may push to it (else a pull request goes through a fork). */
  canPush: boolean
}

export interface RepoPage {
  repos: RepoSummary[]
  page: number
  hasMore: boolean
}
