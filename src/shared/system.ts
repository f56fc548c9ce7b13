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

/**
 * What the Docker screen says: `ready` (tasks can run), or what stands in the way — no engine installed,
 * one installed but not answering, the socket refused to this user, Docker Desktop in Windows-containers
 * mode, or an engine still waking up (Docker Desktop's Resource Saver).
 */
export type DockerState =
  | 'ready'
  | 'not_installed'
  | 'not_running'
  | 'no_permission'
  | 'windows_containers'
  | 'waking'
  | 'engine_error'

/** Where the app talks to the engine, and why there. */
export interface DockerEndpointInfo {
  /** unix:///…, npipe:////./pipe/…, tcp://… or ssh://… */
  host: string
  /** 'setting', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'context' (config.json's current one), 'socket' (found), 'default'. */
  source: string
  context?: string
  /** One line for a person: the host and where it came from. */
  description: string
}

/** What `docker info` says of the engine. */
export interface DockerEngineFacts {
  /** Docker Desktop, OrbStack, Colima, Rancher Desktop, Podman or Docker Engine. */
  name: string
  operatingSystem?: string
  /** 'linux' or 'windows' (the containers it runs). */
  osType?: string
  rootless: boolean
  cpus?: number
  memoryMb?: number
}

/** The sandbox's CPU and memory from Settings, lowered to what the engine (its VM) has. */
export interface SandboxLimitClamp {
  requested: { cpus: number; memoryMb: number }
  applied: { cpus: number; memoryMb: number }
  /** What was lowered and how to give the engine more. */
  message: string
}

export interface DockerStatus {
  /** True when tasks can run (the engine answered and runs Linux containers). */
  reachable: boolean
  state?: DockerState
  version?: string
  apiVersion?: string
  endpoint?: DockerEndpointInfo
  engine?: DockerEngineFacts
  /** Set when the engine is smaller than the sandbox limits in Settings: tasks run with `applied`. */
  limits?: SandboxLimitClamp
  /** Worth knowing, not in the way (a rootless engine, a docker context that could not be read). */
  notes?: string[]
  /** Why tasks cannot run, with the fix (kind 'docker_unavailable'). */
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
