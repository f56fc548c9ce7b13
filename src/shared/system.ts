import type { AppErrorData } from './errors'

export const SECRET_NAMES = ['openai', 'github'] as const
export type SecretName = (typeof SECRET_NAMES)[number]

/** The endpoints secrets are sent to (origins, see secret-endpoints.ts), one per secret. */
export type SecretEndpoints = Record<SecretName, string>

/**
 * Where a stored secret may be sent. A secret is bound to the endpoint it was entered for (or last confirmed
 * for) and is sent nowhere else: when `changed`, it is held back until the user enters it again or confirms
 * `secrets.allowEndpoint` for `endpoint`.
 */
export interface SecretBinding {
  /** The endpoint it was entered for; absent for a value stored before secrets were bound (needs a confirmation). */
  boundTo?: string
  /** The endpoint it would be sent to now, from the settings (absent when the store was not told). */
  endpoint?: string
  /** True when `endpoint` is not `boundTo`: the secret is not sent there until confirmed. */
  changed: boolean
}

/** What the UI may know of the secrets: whether each is set, where it may go, and where it lives. Never a value. */
export interface SecretsStatus {
  openai: boolean
  github: boolean
  /** For each secret that is set: the endpoint it is bound to and whether the settings now point elsewhere. */
  bindings?: Partial<Record<SecretName, SecretBinding>>
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
